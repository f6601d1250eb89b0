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
  runQuery,
  statsParams,
} from './common.ts'

export type SeriesPoint = {
  time: string
  pageviews: number
  events: number
  revenue: number
  visitors: number
  visitors_floor: number
}

// Visitors of a day are those who viewed a page: counted per type, a visitor would be counted
// once for each kind of event once the day's sketches are finalized into per-type counts. Even
// so, a finalized day adds up the counts of its sources, devices and countries (an upper bound);
// `visitors_floor` is the day's lower bound, which the k threshold is applied to.
const SQL = `
SELECT toString(day) AS time,
  sumIf(type_events, type = 'pageview') AS pageviews,
  sum(type_events) AS events,
  sumIf(type_revenue, type = 'purchase') AS revenue,
  sumIf(type_visitors, type = 'pageview') AS visitors,
  sumIf(type_floor, type = 'pageview') AS visitors_floor
FROM (
  SELECT day, type, sumMerge(events) AS type_events, sumMerge(revenue) AS type_revenue,
    ${DAY_VISITORS} AS type_visitors, ${DAY_VISITORS_FLOOR} AS type_floor
  FROM traffic_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY day, type
)
GROUP BY day
ORDER BY day`

/** One point per UTC day that has events: pageviews, all events, purchase revenue, visitors. */
export async function getDailySeries(warehouse: Warehouse, query: StatsQuery): Promise<SeriesPoint[]> {
  const rows = await runQuery<SeriesPoint>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    time: row.time,
    pageviews: Number(row.pageviews),
    events: Number(row.events),
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
