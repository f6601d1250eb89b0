import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  money,
  readsTotals,
  runQuery,
  statsParams,
  TOTALS_BY_DAY,
} from './common.ts'

export type TrafficTypeRow = {
  type: string
  events: number
  revenue: number
  visitors: number
  visitors_floor: number
}

// With a filter (or to compare): the rows of `traffic_daily` that match.
const FILTERED = `
SELECT type, sum(day_events) AS events, sum(day_revenue) AS revenue, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT type, day, sumMerge(events) AS day_events, sumMerge(revenue) AS day_revenue,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM traffic_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY type, day
)
GROUP BY type
ORDER BY type`

// Without one: the same figures, with the sketches read from `traffic_totals_daily` (one per day
// and type) instead of merged from every source, device and country of `traffic_daily`. The
// finalized counts still come from `traffic_daily`, where the filtered reads find them: a day's
// visitors are its rows' finalized counts added up (an upper bound, shown) plus the sketch of
// what arrived since, and the lower bound the gate tests is the larger of the largest finalized
// count and that sketch, exactly as DAY_VISITORS and DAY_VISITORS_FLOOR compute them. Only days
// that the totals mark finalized are read there, so days that still have sketches (all of them
// until the finalize-sketches job has run) cost no read of traffic_daily at all.
const UNFILTERED = `
SELECT type, sum(day_events) AS events, sum(day_revenue) AS revenue, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (${TOTALS_BY_DAY.traffic}
)
GROUP BY type
ORDER BY type`

/** The table a query is answered from: the totals know no source, device or country. */
export const trafficTable = (query: StatsQuery): 'traffic_daily' | 'traffic_totals_daily' =>
  query.source || query.device || query.country ? 'traffic_daily' : 'traffic_totals_daily'

/**
 * Events, revenue and visitors per event type over a range: what the overview is made of. `from`
 * is for the tests that compare both tables; by default the query's filters choose.
 */
export async function getTrafficByType(
  warehouse: Warehouse,
  query: StatsQuery,
  from = trafficTable(query),
): Promise<TrafficTypeRow[]> {
  const sql = readsTotals(from, trafficTable(query), 'traffic_totals_daily') ? UNFILTERED : FILTERED
  const rows = await runQuery<TrafficTypeRow>(warehouse, sql, statsParams(query))
  return rows.map((row) => ({
    type: row.type,
    events: Number(row.events),
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
