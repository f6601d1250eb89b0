import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../api/params.ts'
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

export type TrafficTypeRow = {
  type: string
  events: number
  revenue: number
  visitors: number
  visitors_floor: number
}

const SQL = `
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

/** Events, revenue and visitors per event type over a range: what the overview is made of. */
export async function getTrafficByType(warehouse: Warehouse, query: StatsQuery): Promise<TrafficTypeRow[]> {
  const rows = await runQuery<TrafficTypeRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    type: row.type,
    events: Number(row.events),
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
