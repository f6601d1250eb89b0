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
import type { SeriesPoint } from './getDailySeries.ts'

// Visitors exist per UTC day only (the salt, and so a visitor, lives one day), so an hour cannot
// say how many people it holds. Its `visitors` is an upper bound instead: no more than its events
// and no more than its day's visitors. Thresholding an upper bound releases an hour only when it
// could hold k people; an hour with fewer events than k never can. `visitors_floor` is the same
// bound over the day's lower bound, so that a finalized day, whose rows add up to more than its
// visitors, cannot lift an hour over k.
const SQL = `
SELECT formatDateTime(hours.hour, '%Y-%m-%dT%H:00:00Z') AS time,
  hours.pageviews AS pageviews, hours.events AS events, hours.revenue AS revenue,
  least(hours.events, days.day_visitors) AS visitors,
  least(hours.events, days.day_floor) AS visitors_floor
FROM (
  SELECT hour, toDate(hour) AS day,
    sumIf(type_events, type = 'pageview') AS pageviews,
    sum(type_events) AS events,
    sumIf(type_revenue, type = 'purchase') AS revenue
  FROM (
    SELECT hour, type, sumMerge(events) AS type_events, sumMerge(revenue) AS type_revenue
    FROM traffic_hourly
    WHERE site = {site:String}
      AND hour >= toDateTime({from:Date}, 'UTC') AND hour < toDateTime({to:Date}, 'UTC') + INTERVAL 1 DAY
      ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
    GROUP BY hour, type
  )
  GROUP BY hour
) AS hours
LEFT JOIN (
  SELECT day, ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM traffic_daily
  WHERE ${IN_RANGE} AND type = 'pageview' ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY day
) AS days USING (day)
ORDER BY hours.hour`

/** One point per UTC hour that has events; `visitors` is an upper bound (see above). */
export async function getHourlySeries(warehouse: Warehouse, query: StatsQuery): Promise<SeriesPoint[]> {
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
