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

/** The columns of `tech_daily` a view may group by; the only identifiers this query names. */
export const TECH_DIMENSIONS = { device: 'device', browser: 'browser', os: 'os', country: 'country' } as const
export type TechDimension = keyof typeof TECH_DIMENSIONS

export type TechRow = { value: string; pageviews: number; visitors: number; visitors_floor: number }

const sqlGroupedBy = (column: string) => `
SELECT value, sum(day_pageviews) AS pageviews, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT ${column} AS value, day, sumMerge(pageviews) AS day_pageviews, ${DAY_VISITORS} AS day_visitors,
    ${DAY_VISITORS_FLOOR} AS day_floor
  FROM tech_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY value, day
)
GROUP BY value
ORDER BY visitors DESC, pageviews DESC, value
LIMIT ${MAX_GROUPS}`

// Built once from the allow-list, so every statement this module can run exists at load time.
const SQL = Object.fromEntries(
  Object.entries(TECH_DIMENSIONS).map(([name, column]) => [name, sqlGroupedBy(column)]),
) as Record<TechDimension, string>

/** Pageviews and visitors per device class, browser family, OS family or country. */
export async function getTechBreakdown(
  warehouse: Warehouse,
  dimension: TechDimension,
  query: StatsQuery,
): Promise<TechRow[]> {
  const rows = await runQuery<TechRow>(warehouse, SQL[dimension], statsParams(query))
  return rows.map((row) => ({
    value: row.value,
    pageviews: Number(row.pageviews),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
