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

export type PageRow = { path: string; pageviews: number; visitors: number; visitors_floor: number }

// With a filter (or to compare): the rows of `pages_daily` that match.
const FILTERED = `
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

// Without one: sketches from `pages_totals_daily` (one per day and path), finalized counts from
// `pages_daily` for the days the totals mark finalized, combined as DAY_VISITORS and
// DAY_VISITORS_FLOOR do; see getTrafficByType.ts, which reads the traffic totals the same way.
const UNFILTERED = `
SELECT path, sum(day_pageviews) AS pageviews, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT path, day, sum(pageviews) AS day_pageviews,
    sum(final_sum) + sum(sketch) AS day_visitors, greatest(max(final_max), sum(sketch)) AS day_floor
  FROM (
    SELECT path, day, sumMerge(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS sketch,
      toUInt64(0) AS final_sum, toUInt64(0) AS final_max
    FROM pages_totals_daily
    WHERE ${IN_RANGE}
    GROUP BY path, day
    UNION ALL
    SELECT path, day, toUInt64(0) AS pageviews, toUInt64(0) AS sketch,
      sumMerge(visitors_final) AS final_sum, max(finalizeAggregation(visitors_final)) AS final_max
    FROM pages_daily
    WHERE ${IN_RANGE} AND day IN (
      SELECT day FROM pages_totals_daily
      WHERE ${IN_RANGE} AND finalizeAggregation(visitors_final) > 0
    )
    GROUP BY path, day
  )
  GROUP BY path, day
)
GROUP BY path
ORDER BY pageviews DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

/** The table a query is answered from: the totals know no source, device or country. */
export const pagesTable = (query: StatsQuery): 'pages_daily' | 'pages_totals_daily' =>
  query.source || query.device || query.country ? 'pages_daily' : 'pages_totals_daily'

/**
 * Pageviews and visitors per scrubbed path. `from` is for the tests that compare both tables; by
 * default the query's filters choose.
 */
export async function getPages(
  warehouse: Warehouse,
  query: StatsQuery,
  from = pagesTable(query),
): Promise<PageRow[]> {
  if (from !== pagesTable(query) && from === 'pages_totals_daily') {
    throw new Error('pages_totals_daily cannot answer a filtered query')
  }
  const sql = from === 'pages_totals_daily' ? UNFILTERED : FILTERED
  const rows = await runQuery<PageRow>(warehouse, sql, statsParams(query))
  return rows.map((row) => ({
    path: row.path,
    pageviews: Number(row.pageviews),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
