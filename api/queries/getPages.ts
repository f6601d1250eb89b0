import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
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

export type PageRow = { path: string; pageviews: number; visitors: number; visitors_floor: number }

const SQL = `
SELECT path, sum(day_pageviews) AS pageviews, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT path, day, sumMerge(pageviews) AS day_pageviews, ${DAY_VISITORS} AS day_visitors,
    ${DAY_VISITORS_FLOOR} AS day_floor
  FROM pages_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY path, day
)
GROUP BY path
ORDER BY pageviews DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

/** Pageviews and visitors per scrubbed path. */
export async function getPages(warehouse: Warehouse, query: StatsQuery): Promise<PageRow[]> {
  const rows = await runQuery<PageRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    path: row.path,
    pageviews: Number(row.pageviews),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
