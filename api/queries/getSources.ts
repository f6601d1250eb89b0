import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import { type DimensionRow, pageviewsGroupedBy, runQuery, statsParams, toDimensionRow } from './common.ts'

/** The columns of `sources_daily` a view may group by; the only identifiers this query names. */
export const SOURCE_DIMENSIONS = {
  source: 'source',
  referrer_host: 'referrer_host',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
} as const
export type SourceDimension = keyof typeof SOURCE_DIMENSIONS

export type SourceRow = DimensionRow

// Built once from the allow-list, so every statement this module can run exists at load time.
const SQL = Object.fromEntries(
  Object.entries(SOURCE_DIMENSIONS).map(([name, column]) => [
    name,
    pageviewsGroupedBy('sources_daily', column, 'pageviews'),
  ]),
) as Record<SourceDimension, string>

/** Pageviews and visitors per source class, referrer host or campaign tag. */
export async function getSources(
  warehouse: Warehouse,
  query: StatsQuery & { by: SourceDimension },
): Promise<SourceRow[]> {
  const rows = await runQuery<SourceRow>(warehouse, SQL[query.by], statsParams(query))
  return rows.map(toDimensionRow)
}
