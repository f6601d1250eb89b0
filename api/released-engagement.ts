import { noiseOf } from '../warehouse/released/figures.ts'
import { counts, ordered, ratio, releasedKeys, type Sums, share } from './released-lists.ts'

/**
 * The visit and engagement views (docs/engagement.md) as post-processing of released cells, with
 * the same fields, rounding and order as their k-gate queries (api/queries/getEntryPages.ts and
 * the others beside it), each figure's noise in `sd` and every ratio taken from the summed
 * released values. Like the k-gate queries, a page list leaves out the pages its figure of
 * interest is 0 on (entries, exits, views).
 */

/**
 * `entry_exit`: pages visits began on, with the share of those visits that saw one page and their
 * mean engaged seconds (the engaged seconds of the visits begun there over those visits).
 */
export function entryPageRows(sums: Sums) {
  const rows = releasedKeys(sums).map((cell) => {
    const { figures, sd } = counts(cell, { visits: 'entries', visitors: 'visitors' })
    const bounce = share(cell.figure('bounces'), cell.figure('entries'))
    // Whole seconds, as the overview's visit duration.
    const duration = ratio(cell.figure('engaged_seconds'), cell.figure('entries'))
    return {
      path: cell.key[0],
      visits: figures.visits,
      bounce_rate: bounce.value,
      visit_duration: Math.round(Math.max(0, duration.value)),
      visitors: figures.visitors,
      sd: { ...sd, bounce_rate: bounce.stddev, visit_duration: noiseOf(duration) },
    }
  })
  return ordered(rows, ['visits', 'visitors'], 'path', ['visits'])
}

/** `entry_exit`: pages visits ended on, and the share of the page's views that were the last. */
export function exitPageRows(sums: Sums) {
  const rows = releasedKeys(sums).map((cell) => {
    const { figures, sd } = counts(cell, { exits: 'exits', pageviews: 'pageviews', visitors: 'visitors' })
    const exit = share(cell.figure('exits'), cell.figure('pageviews'))
    return { path: cell.key[0], ...figures, exit_rate: exit.value, sd: { ...sd, exit_rate: exit.stddev } }
  })
  return ordered(rows, ['exits', 'visitors'], 'path', ['exits'])
}

/**
 * `engagement`: time on page and scroll depth per page. The measurement releases the views that
 * reached 50 % and 100 % of the page, not 25 % and 75 %: those two are null here.
 */
export function engagementRows(sums: Sums) {
  const rows = releasedKeys(sums).map((cell) => {
    const { figures, sd } = counts(cell, { pageviews: 'pageviews', visitors: 'visitors' })
    const views = cell.figure('pageviews')
    // Seconds per view to a tenth; percent per view to a whole; shares of views to three places.
    const time = ratio(cell.figure('engaged_seconds'), views)
    const scroll = ratio(cell.figure('scroll_sum'), views)
    const reached50 = share(cell.figure('reached_50'), views, 3)
    const reached100 = share(cell.figure('reached_100'), views, 3)
    return {
      path: cell.key[0],
      pageviews: figures.pageviews,
      time_on_page: Math.round(Math.max(0, time.value) * 10) / 10,
      scroll_depth: Math.round(Math.min(100, Math.max(0, scroll.value))),
      reached_25: null,
      reached_50: reached50.value,
      reached_75: null,
      reached_100: reached100.value,
      visitors: figures.visitors,
      sd: {
        ...sd,
        time_on_page: noiseOf(time),
        scroll_depth: noiseOf(scroll),
        reached_50: reached50.stddev,
        reached_100: reached100.stddev,
      },
    }
  })
  return ordered(rows, ['pageviews', 'visitors'], 'path', ['pageviews'])
}

/** `links` (keys kind, target): the targets of one kind with their events and visitors. */
export function linkRows(sums: Sums, kind: string) {
  const rows = releasedKeys(sums)
    .filter((cell) => cell.key[0] === kind)
    .map((cell) => {
      const { figures, sd } = counts(cell, { events: 'events', visitors: 'visitors' })
      return { target: cell.key[1], ...figures, sd }
    })
  return ordered(rows, ['events', 'visitors'], 'target')
}

const KINDS = ['new', 'returning'] as const

/** `visitor_kinds`: visits of new and returning visitors, in that order. */
export function visitorKindRows(sums: Sums) {
  const rows = releasedKeys(sums).flatMap((cell) => {
    const kind = KINDS.find((known) => known === cell.key[0])
    if (!kind) return []
    const { figures, sd } = counts(cell, { visits: 'visits', visitors: 'visitors' })
    return [{ kind, ...figures, sd }]
  })
  return ordered(rows, [], 'kind')
}

/** `custom`: custom events per name, most visitors first. */
export function customEventRows(sums: Sums) {
  const rows = releasedKeys(sums).map((cell) => {
    const { figures, sd } = counts(cell, { events: 'events', visitors: 'visitors' })
    return { name: cell.key[0], ...figures, sd }
  })
  return ordered(rows, ['visitors', 'events'], 'name')
}

/** `custom_props`: custom events' property values (of one event name, if given), most visitors first. */
export function customPropRows(sums: Sums, name?: string) {
  const rows = releasedKeys(sums)
    .filter((cell) => name === undefined || cell.key[0] === name)
    .map((cell) => {
      const { figures, sd } = counts(cell, { events: 'events', visitors: 'visitors' })
      return { name: cell.key[0], prop_key: cell.key[1], prop_value: cell.key[2], ...figures, sd }
    })
  return ordered(rows, ['visitors', 'events'], 'name')
}
