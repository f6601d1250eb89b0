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
import { rate } from './getEntryPages.ts'

/** Pages visits ended on: views that no later page of their visit followed. */
export type ExitPageRow = {
  path: string
  exits: number
  pageviews: number
  exit_rate: number
  visitors: number
  visitors_floor: number
}

// Each view is +1 exit of its page and the next view of its visit -1 (0023_entry_exit.sql). Days are
// summed before the floor at 0: a visit that crosses midnight moves an exit from one day to the next.
const SQL = `
SELECT path, greatest(sum(day_exits), 0) AS exits, sum(day_pageviews) AS pageviews,
  sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT path, day, sumMerge(exits) AS day_exits, sumMerge(pageviews) AS day_pageviews,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM entry_exit_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY path, day
)
GROUP BY path
HAVING exits > 0
ORDER BY exits DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

/** Exit pages by visits that ended there, with the share of the page's views that were the last. */
export async function getExitPages(warehouse: Warehouse, query: StatsQuery): Promise<ExitPageRow[]> {
  const rows = await runQuery<ExitPageRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    path: row.path,
    exits: Number(row.exits),
    pageviews: Number(row.pageviews),
    exit_rate: rate(Number(row.exits), Number(row.pageviews)),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
