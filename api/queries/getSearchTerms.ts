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

export type SearchTermRow = {
  query: string
  searches: number
  zero_results: number
  visitors: number
  visitors_floor: number
}

const SQL = `
SELECT query, sum(day_searches) AS searches, sum(day_zero_results) AS zero_results,
  sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT query, day, sumMerge(searches) AS day_searches, sumMerge(zero_results) AS day_zero_results,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM search_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY query, day
)
GROUP BY query
ORDER BY searches DESC, visitors DESC, query
LIMIT ${MAX_GROUPS}`

/** Site search terms with how often they found nothing. */
export async function getSearchTerms(warehouse: Warehouse, query: StatsQuery): Promise<SearchTermRow[]> {
  const rows = await runQuery<SearchTermRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    query: row.query,
    searches: Number(row.searches),
    zero_results: Number(row.zero_results),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
