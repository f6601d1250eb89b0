import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import { type DimensionRow, pageviewsGroupedBy, runQuery, statsParams, toDimensionRow } from './common.ts'

/** The columns of `tech_daily` a view may group by; the only identifiers this query names. */
export const TECH_DIMENSIONS = { device: 'device', browser: 'browser', os: 'os', country: 'country' } as const
export type TechDimension = keyof typeof TECH_DIMENSIONS

export type TechRow = DimensionRow

// Built once from the allow-list, so every statement this module can run exists at load time.
const SQL = Object.fromEntries(
  Object.entries(TECH_DIMENSIONS).map(([name, column]) => [
    name,
    pageviewsGroupedBy('tech_daily', column, 'visitors'),
  ]),
) as Record<TechDimension, string>

/** Pageviews and visitors per device class, browser family, OS family or country. */
export async function getTechBreakdown(
  warehouse: Warehouse,
  dimension: TechDimension,
  query: StatsQuery,
): Promise<TechRow[]> {
  const rows = await runQuery<TechRow>(warehouse, SQL[dimension], statsParams(query))
  return rows.map(toDimensionRow)
}
