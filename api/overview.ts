import { addDays, daysBetween } from './params.ts'
import type { TrafficTypeRow } from './queries/getTrafficByType.ts'
import type { VisitTotals } from './queries/getVisits.ts'
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
  /** Visits (docs/engagement.md); null, with the three below, when the visits' visitors are below k. */
  visits: number | null
  views_per_visit: number | null
  /** 0–1: visits that saw one page over visits. */
  bounce_rate: number | null
  /** Mean engaged seconds per visit: time on its pages while visible and focused. */
  visit_duration: number | null
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
  visitTotals?: VisitTotals,
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
    ...visitFigures(visitTotals, meetsK),
  }
}

type VisitFigures = Pick<Overview, 'visits' | 'views_per_visit' | 'bounce_rate' | 'visit_duration'>

/**
 * The visit figures of the overview: a group of their own (the visitors of visits_daily), given
 * when it reaches k, or when there were no visits at all, which describes nobody.
 */
export function visitFigures(
  totals: VisitTotals | undefined,
  meetsK: (group: Group) => boolean,
): VisitFigures {
  if (!totals || (totals.visits > 0 && !meetsK(totals))) {
    return { visits: null, views_per_visit: null, bounce_rate: null, visit_duration: null }
  }
  const { visits } = totals
  const per = (value: number, places: number) =>
    visits > 0 ? Math.round((value / visits) * 10 ** places) / 10 ** places : 0
  return {
    visits,
    views_per_visit: per(totals.pageviews, 2),
    bounce_rate: Math.min(1, Math.max(0, per(totals.bounces, 4))),
    visit_duration: per(totals.engaged_ms / 1000, 0),
  }
}
