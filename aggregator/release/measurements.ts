import {
  cellsBound,
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  eventsBound,
  REVENUE_PER_VISITOR_DAY,
} from '../../schemas/contribution.ts'
import { EVENT_TYPES, type EventType } from '../../schemas/events.ts'

/**
 * The released measurements: every figure that leaves Tally is a cell of one of these, published
 * once per closed period by the publish job (aggregator/jobs/publish.ts) and read back by the
 * read API from the `released` table. A feature adds a figure by adding an entry (or a measure to
 * one); the budget is split over all of them by zCDP composition (./budget.ts), so adding an
 * entry makes the others' noise larger, and docs/privacy.md lists what each costs.
 *
 * An entry reads one rollup, groups it by up to three key columns (`k1..k3` in `released`) and,
 * for each grouping set, by nothing more or by one filter column as well. Each measure has its
 * L2 sensitivity for one visitor-day over the whole grouping set (all cells, all hours of the
 * day), from the contribution bounds of schemas/contribution.ts, and a budget weight.
 *
 * Names below are written into SQL: table, columns and expressions are constants of this file,
 * never input (test/aggregator/release-measurements.test.ts checks them against an allow-list).
 */

/** The periods released figures are published for (`grain` in `released` and the ledger). */
export type Grain = 'day' | 'hour' | 'week' | 'month'
/** The grain a rollup is read at: a day of a daily rollup, an hour of an hourly one. */
export type SourceGrain = 'day' | 'hour'
/** Grains published from the exact per-day cells kept in `exact_cells` (ISO weeks, months). */
export type CoarseGrain = 'week' | 'month'
export const COARSE_GRAINS: readonly CoarseGrain[] = ['week', 'month']
export type GroupingName = '' | 'source' | 'device' | 'country' | 'category'

export type Measure = {
  /** `measure` in `released`: what the read API asks for. */
  readonly name: string
  /** `visitors`: a distinct count, the one that decides whether a cell is released. */
  readonly kind: 'visitors' | 'count' | 'sum'
  /** An aggregate over the rollup's stored rows, e.g. `sumMerge(pageviews)`. */
  readonly sql: string
  /** L2 sensitivity of the measure's vector of cells, for one visitor-day. */
  readonly l2: number
  /** Share of the budget, relative to the other measures' weights (per grouping set). */
  readonly weight: number
}

export type Measurement = {
  readonly id: string
  readonly table: string
  /** Rollup columns that make the cell key, in order (`k1`, `k2`, `k3`); may be empty. */
  readonly keys: readonly string[]
  /** A fixed condition on the rollup's rows ('' for none). */
  readonly where: string
  /** Grouping sets and their weights: '' is the measurement without filters. */
  readonly groupings: Partial<Record<GroupingName, number>>
  readonly grain: SourceGrain
  /**
   * For a daily list: the grains it is published at, each a budget multiplier on the entry's
   * weights (docs/privacy.md, "Time grains"). Each grain is its own mechanism over the
   * visitor-day, so each costs its share of ρ. Absent: published at its source grain only.
   */
  readonly grains?: Partial<Record<'day' | CoarseGrain, number>>
  readonly measures: readonly Measure[]
  /**
   * A public domain for `k1` (event types, say): every value is released, zero or not, with no
   * threshold, since which cells exist then tells nothing. Only for the grouping set ''.
   */
  readonly domain?: readonly string[]
}

/** Visitors of a daily rollup, a true distinct count while the day's sketches exist. */
const VISITORS = 'uniqCombinedMerge(visitors)'
const PAGEVIEW: EventType[] = ['pageview']
const FILTERS = { '': 4, source: 1, device: 1, country: 1 } as const
const LISTS = { '': 3, source: 0.25, device: 0.25, country: 0.25 } as const
/**
 * The grains a list is published at, as multipliers of its weights. A list's daily cells pass
 * their threshold only for groups of many hundreds of visitors a day, so most of a list's share
 * goes to its weeks, which answer the ranges people ask for (the last 7, 28 or 30 days), and to
 * its months; the day keeps a little, for the largest groups of a short range.
 */
export const LIST_GRAINS = { day: 0.1, week: 2, month: 0.5 } as const

const visitors = (types: readonly EventType[], weight: number, domain?: number): Measure => ({
  name: 'visitors',
  kind: 'visitors',
  sql: VISITORS,
  l2: Math.sqrt(cellsBound(types, domain)),
  weight,
})

const pageviews = (sql: string, weight: number): Measure => ({
  name: 'pageviews',
  kind: 'count',
  sql,
  l2: eventsBound(PAGEVIEW),
  weight,
})

// Events per type: each type's cell moves by at most that type's bound.
const perTypeL2 = Math.sqrt(EVENT_TYPES.reduce((sum, type) => sum + EVENTS_PER_VISITOR_DAY[type] ** 2, 0))

/** One pageview rollup grouped by one of its dimensions: a list view of the dashboard. */
const pageviewList = (
  id: string,
  table: string,
  key: string,
  groupings: Measurement['groupings'] = LISTS,
): Measurement => ({
  id,
  table,
  keys: [key],
  where: '',
  groupings,
  grain: 'day',
  grains: LIST_GRAINS,
  measures: [pageviews('sumMerge(pageviews)', 0.5), visitors(PAGEVIEW, 1)],
})

// --- Visits and engagement (docs/engagement.md) ------------------------------------------------
// A visit begins with a pageview, so a visitor-day begins at most as many visits as it keeps
// pageviews; the +1/-1 bounce column sums, per visitor-day, to between minus and plus that many;
// exits are +1 on a page and -1 on the page before it, at most twice the pageviews in all cells.
const PAGES = eventsBound(PAGEVIEW)
const count = (name: string, sql: string, l2: number, weight: number): Measure => ({
  name,
  kind: 'count',
  sql,
  l2,
  weight,
})
const engagedSeconds = (weight: number): Measure => ({
  name: 'engaged_seconds',
  kind: 'sum',
  sql: 'intDiv(sumMerge(engaged_ms), 1000)',
  l2: ENGAGED_SECONDS_PER_VISITOR_DAY,
  weight,
})
const LINKS: EventType[] = ['outbound', 'download', 'not_found']

// Their weights are kept small (about a tenth of the list's total) so that these figures cost the
// others little noise; lists are released without filters (docs/engagement.md).
const ONLY_ALL = { '': 0.5 } as const
const ENGAGEMENT_MEASUREMENTS: readonly Measurement[] = [
  {
    // The overview's visits, views per visit, bounce rate and visit duration.
    id: 'visits',
    table: 'visits_daily',
    keys: [],
    where: '',
    groupings: { '': 1, source: 0.25, device: 0.25, country: 0.25 },
    grain: 'day',
    measures: [
      visitors(PAGEVIEW, 0.5, 1),
      count('visits', 'sumMerge(visits)', PAGES, 1),
      count('bounces', 'sumMerge(bounces)', PAGES, 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.5),
      engagedSeconds(0.5),
    ],
  },
  {
    // The time series' visits per closed hour; no visitors, as traffic_hourly.
    id: 'visits_hourly',
    table: 'visits_hourly',
    keys: [],
    where: '',
    groupings: ONLY_ALL,
    grain: 'hour',
    // The one cell of an hour is released whatever it holds, as traffic_hourly's are.
    domain: [''],
    measures: [count('visits', 'sumMerge(visits)', PAGES, 1)],
  },
  {
    // Entry pages (visits, bounces) and exit pages (exits over pageviews).
    id: 'entry_exit',
    table: 'entry_exit_daily',
    keys: ['path'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [
      visitors(PAGEVIEW, 0.5),
      count('entries', 'sumMerge(entries)', PAGES, 0.5),
      count('bounces', 'sumMerge(bounces)', PAGES, 0.25),
      count('exits', 'sumMerge(exits)', 2 * PAGES, 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.25),
    ],
  },
  {
    // Time on page and scroll depth per page: a view's deepest scroll is at most 100.
    id: 'engagement',
    table: 'engagement_daily',
    keys: ['path'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [
      visitors(['pageview', 'engagement'], 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.25),
      engagedSeconds(0.5),
      { name: 'scroll_sum', kind: 'sum', sql: 'sumMerge(scroll_sum)', l2: 100 * PAGES, weight: 0.25 },
      count('reached_50', 'sumMerge(reached_50)', PAGES, 0.125),
      count('reached_100', 'sumMerge(reached_100)', PAGES, 0.125),
    ],
  },
  {
    // Outbound hosts, download paths and paths not found: kind and target.
    id: 'links',
    table: 'links_daily',
    keys: ['kind', 'target'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [count('events', 'sumMerge(events)', eventsBound(LINKS), 0.5), visitors(LINKS, 0.5)],
  },
  {
    // New and returning visits: two public values, every one released.
    id: 'visitor_kinds',
    table: 'visitor_kinds_daily',
    keys: ['kind'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    domain: ['new', 'returning'],
    measures: [count('visits', 'sumMerge(visits)', PAGES, 0.5), visitors(PAGEVIEW, 0.5, 2)],
  },
  {
    // Goals: custom events by name.
    id: 'custom',
    table: 'custom_daily',
    keys: ['name'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [count('events', 'sumMerge(events)', eventsBound(['custom']), 0.5), visitors(['custom'], 0.5)],
  },
]

export const MEASUREMENTS: readonly Measurement[] = [
  {
    // The headline: the day's distinct visitors and pageviews (the overview cards, the chart).
    id: 'totals',
    table: 'traffic_daily',
    keys: [],
    where: '',
    groupings: FILTERS,
    grain: 'day',
    measures: [
      visitors(EVENT_TYPES, 3, 1),
      pageviews("sumMergeIf(events, type = 'pageview')", 4),
      {
        name: 'revenue',
        kind: 'sum',
        sql: "sumMergeIf(revenue, type = 'purchase')",
        l2: REVENUE_PER_VISITOR_DAY,
        weight: 1,
      },
    ],
  },
  {
    // Events and visitors per event type (the overview's per-type figures, conversion).
    id: 'traffic',
    table: 'traffic_daily',
    keys: ['type'],
    where: '',
    groupings: { '': 1, source: 0.25, device: 0.25, country: 0.25 },
    grain: 'day',
    domain: EVENT_TYPES,
    measures: [
      { name: 'events', kind: 'count', sql: 'sumMerge(events)', l2: perTypeL2, weight: 1 },
      visitors(EVENT_TYPES, 1, EVENT_TYPES.length),
    ],
  },
  {
    // Today, live: events per type and closed hour. No visitors: a visitor exists per day.
    id: 'traffic_hourly',
    table: 'traffic_hourly',
    keys: ['type'],
    where: '',
    groupings: { '': 1 },
    grain: 'hour',
    domain: EVENT_TYPES,
    measures: [{ name: 'events', kind: 'count', sql: 'sumMerge(events)', l2: perTypeL2, weight: 1 }],
  },
  pageviewList('pages', 'pages_daily', 'path'),
  pageviewList('sources.source', 'sources_daily', 'source', { '': 2, device: 0.25, country: 0.25 }),
  pageviewList('sources.referrer_host', 'sources_daily', 'referrer_host', { '': 0.5 }),
  pageviewList('sources.utm_source', 'sources_daily', 'utm_source', { '': 0.5 }),
  pageviewList('sources.utm_medium', 'sources_daily', 'utm_medium', { '': 0.5 }),
  pageviewList('sources.utm_campaign', 'sources_daily', 'utm_campaign', { '': 0.5 }),
  pageviewList('tech.device', 'tech_daily', 'device', { '': 1, source: 0.25, country: 0.25 }),
  pageviewList('tech.browser', 'tech_daily', 'browser', { '': 0.5 }),
  pageviewList('tech.os', 'tech_daily', 'os', { '': 0.5 }),
  pageviewList('tech.country', 'tech_daily', 'country', { '': 2, source: 0.25, device: 0.25 }),
  ...ENGAGEMENT_MEASUREMENTS,
]

/** The grains `entry` is published at, with their budget multipliers. */
export function publishedGrains(entry: Measurement): Array<[Grain, number]> {
  if (!entry.grains) return [[entry.grain, 1]]
  return (Object.entries(entry.grains) as Array<[Grain, number]>).filter(([, weight]) => weight > 0)
}

/** The measurement named `id`; throws on an unknown one (a read or a test naming a typo). */
export function measurement(id: string): Measurement {
  const found = MEASUREMENTS.find((entry) => entry.id === id)
  if (!found) throw new Error(`unknown measurement ${id}`)
  return found
}
