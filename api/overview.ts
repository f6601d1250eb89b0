import { addDays, daysBetween } from './params.ts'
import type { TrafficTypeRow } from './queries/getTrafficByType.ts'
import type { Group } from './release.ts'

export type Overview = {
  from: string
  to: string
  pageviews: number
  visitors: number
  /** The lower bound of `visitors` the gate tests; never part of the answer. */
  visitors_floor: number
  events: Record<string, number>
  revenue: number | null
  conversion_rate: number | null
}

/** The period of equal length that ends the day before `from`. */
export function previousPeriod(range: { from: string; to: string }): { from: string; to: string } {
  const days = daysBetween(range.from, range.to) + 1
  return { from: addDays(range.from, -days), to: addDays(range.from, -1) }
}

/**
 * The headline figures of a range from its per-type totals. The overview is one group (its
 * visitors are the visitors who viewed a page), released or held back whole by the route; the
 * figures inside it that describe a smaller group (one event type, the buyers) are given only
 * when that group reaches k too, or when it is empty, which describes nobody. Each of those
 * groups is tested with both of its counts (`meetsK` takes the group): the shown one, which for
 * finalized days adds up the rows of a day, and its lower bound.
 */
export function buildOverview(
  range: { from: string; to: string },
  rows: readonly TrafficTypeRow[],
  meetsK: (group: Group) => boolean,
): Overview {
  const byType = new Map(rows.map((row) => [row.type, row]))
  const pageviews = byType.get('pageview')
  const visitors = pageviews?.visitors ?? 0
  const purchases = byType.get('purchase')
  const buyers = purchases?.visitors ?? 0
  const ifBuyersReleasable = <T>(value: () => T): T | null =>
    buyers === 0 || (purchases !== undefined && meetsK(purchases)) ? value() : null
  return {
    from: range.from,
    to: range.to,
    pageviews: pageviews?.events ?? 0,
    visitors,
    visitors_floor: pageviews?.visitors_floor ?? 0,
    events: Object.fromEntries(rows.filter((row) => meetsK(row)).map((row) => [row.type, row.events])),
    revenue: ifBuyersReleasable(() => purchases?.revenue ?? 0),
    conversion_rate: ifBuyersReleasable(() =>
      visitors > 0 ? Math.round((buyers / visitors) * 10_000) / 10_000 : 0,
    ),
  }
}
