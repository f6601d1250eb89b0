import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import { BY_COUNTRY, BY_DEVICE, BY_SOURCE, IN_RANGE, runQuery, statsParams } from './common.ts'

/** Visits begun in one bucket of a time series (its day or hour, as the series' `time`). */
export type VisitPoint = { time: string; visits: number }

const DAILY = `
SELECT toString(day) AS time, sumMerge(visits) AS visits
FROM visits_daily
WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
GROUP BY day
ORDER BY day`

const HOURLY = `
SELECT formatDateTime(hour, '%Y-%m-%dT%H:00:00Z') AS time, sumMerge(visits) AS visits
FROM visits_hourly
WHERE site = {site:String}
  AND hour >= toDateTime({from:Date}, 'UTC') AND hour < toDateTime({to:Date}, 'UTC') + INTERVAL 1 DAY
  ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
GROUP BY hour
ORDER BY hour`

/**
 * Visits per day or hour. Joined to the traffic series by `time`: a bucket the series releases
 * is released with its visits, so these rows carry no visitor count of their own.
 */
export async function getVisitSeries(
  warehouse: Warehouse,
  query: StatsQuery,
  interval: 'day' | 'hour',
): Promise<Map<string, number>> {
  const rows = await runQuery<VisitPoint>(warehouse, interval === 'hour' ? HOURLY : DAILY, statsParams(query))
  return new Map(rows.map((row) => [row.time, Number(row.visits)]))
}
