import type { Warehouse } from '../warehouse/client.ts'
import { getReleased, type ReleasedCell } from './queries/getReleased.ts'
import { type Figure, noiseOf, shown, sumByKey, sumByTime } from './released-figures.ts'

/**
 * The headline figures (the overview cards and the daily chart) as post-processing of released
 * cells only: the `totals` measurement (visitors, pageviews, revenue per day) and `traffic`
 * (events per type). A range's figure is the sum of its days' released values; `visitors` over a
 * range is the sum of each day's released unique visitors (docs/privacy.md). Each figure comes
 * with the standard deviation of its noise (`<name>_sd`), so a reader sees how exact it is.
 *
 * Filters are the published grouping sets: none, or one of source, device, country.
 */

export type ReleasedFilter = { name: 'source' | 'device' | 'country'; value: string } | null

export type HeadlineFigures = {
  visitors: number
  visitors_sd: number
  pageviews: number
  pageviews_sd: number
  revenue: number
  revenue_sd: number
  /** Events per type, with their noise. */
  events: Record<string, number>
  events_sd: Record<string, number>
}

export type HeadlinePoint = HeadlineFigures & { time: string }

type Range = { site: string; from: string; to: string }

const cellsOf = (warehouse: Warehouse, range: Range, measurement: string, filter: ReleasedFilter) =>
  getReleased(warehouse, {
    ...range,
    measurement,
    grain: 'day',
    grouping: filter?.name ?? '',
    groupingValue: filter?.value ?? '',
  })

/** The range's headline figures, summed over its published days. */
export async function releasedHeadline(
  warehouse: Warehouse,
  range: Range,
  filter: ReleasedFilter,
): Promise<HeadlineFigures> {
  const [totals, traffic] = await Promise.all([
    cellsOf(warehouse, range, 'totals', filter),
    cellsOf(warehouse, range, 'traffic', filter),
  ])
  return headline(sumByKey(totals).get(NO_KEY), perType(traffic))
}

/** One point per published day of the range. */
export async function releasedDailyHeadline(
  warehouse: Warehouse,
  range: Range,
  filter: ReleasedFilter,
): Promise<HeadlinePoint[]> {
  const [totals, traffic] = await Promise.all([
    cellsOf(warehouse, range, 'totals', filter),
    cellsOf(warehouse, range, 'traffic', filter),
  ])
  const byDay = sumByTime(totals, 'day')
  return [...byDay.keys()].sort().map((day) => ({
    time: day,
    ...headline(byDay.get(day), perType(traffic.filter((cell) => cell.day === day))),
  }))
}

const NO_KEY = JSON.stringify(['', '', ''])

function perType(cells: readonly ReleasedCell[]): Map<string, Figure> {
  const byKey = sumByKey(cells)
  return new Map(
    [...byKey].flatMap(([key, measures]) => {
      const events = measures.get('events')
      return events ? [[(JSON.parse(key) as string[])[0] as string, events] as const] : []
    }),
  )
}

function headline(totals: Map<string, Figure> | undefined, types: Map<string, Figure>): HeadlineFigures {
  const figure = (name: string) => totals?.get(name)
  const kinds = [...types.keys()].sort()
  return {
    visitors: shown(figure('visitors')),
    visitors_sd: noiseOf(figure('visitors')),
    pageviews: shown(figure('pageviews')),
    pageviews_sd: noiseOf(figure('pageviews')),
    revenue: shown(figure('revenue')),
    revenue_sd: noiseOf(figure('revenue')),
    events: Object.fromEntries(kinds.map((kind) => [kind, shown(types.get(kind))])),
    events_sd: Object.fromEntries(kinds.map((kind) => [kind, noiseOf(types.get(kind))])),
  }
}
