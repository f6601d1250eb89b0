import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../api/params.ts'
import {
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  MAX_GROUPS,
  runQuery,
  statsParams,
} from './common.ts'

/** The columns of `sources_daily` a view may group by; the only identifiers this query names. */
export const SOURCE_DIMENSIONS = {
  source: 'source',
  referrer_host: 'referrer_host',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
} as const
export type SourceDimension = keyof typeof SOURCE_DIMENSIONS

export type SourceRow = { value: string; pageviews: number; visitors: number; visitors_floor: number }

const sqlGroupedBy = (column: string) => `
SELECT value, sum(day_pageviews) AS pageviews, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT ${column} AS value, day, sumMerge(pageviews) AS day_pageviews, ${DAY_VISITORS} AS day_visitors,
    ${DAY_VISITORS_FLOOR} AS day_floor
  FROM sources_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY value, day
)
GROUP BY value
ORDER BY pageviews DESC, visitors DESC, value
LIMIT ${MAX_GROUPS}`

// Built once from the allow-list, so every statement this module can run exists at load time.
const SQL = Object.fromEntries(
  Object.entries(SOURCE_DIMENSIONS).map(([name, column]) => [name, sqlGroupedBy(column)]),
) as Record<SourceDimension, string>

/** Pageviews and visitors per source class, referrer host or campaign tag. */
export async function getSources(
  warehouse: Warehouse,
  query: StatsQuery & { by: SourceDimension },
): Promise<SourceRow[]> {
  const rows = await runQuery<SourceRow>(warehouse, SQL[query.by], statsParams(query))
  return rows.map((row) => ({
    value: row.value,
    pageviews: Number(row.pageviews),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
