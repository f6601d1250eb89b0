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

/** Pages visits began on, with the share of those visits that saw no other page. */
export type EntryPageRow = {
  path: string
  visits: number
  bounce_rate: number
  visitors: number
  visitors_floor: number
}

// Entries and the +1/-1 bounces of entry_exit_daily (schemas/migrations/0023_entry_exit.sql).
const SQL = `
SELECT path, sum(day_entries) AS visits, sum(day_bounces) AS bounces,
  sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT path, day, sumMerge(entries) AS day_entries, sumMerge(bounces) AS day_bounces,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM entry_exit_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY path, day
)
GROUP BY path
HAVING visits > 0
ORDER BY visits DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

/** Entry pages by visits begun there. */
export async function getEntryPages(warehouse: Warehouse, query: StatsQuery): Promise<EntryPageRow[]> {
  const rows = await runQuery<EntryPageRow & { bounces: number }>(warehouse, SQL, statsParams(query))
  return rows.map((row) => {
    const visits = Number(row.visits)
    return {
      path: row.path,
      visits,
      bounce_rate: rate(Number(row.bounces), visits),
      visitors: Number(row.visitors),
      visitors_floor: Number(row.visitors_floor),
    }
  })
}

/** A share between 0 and 1, to four places; a visit split by midnight may push a day's sum past it. */
export const rate = (part: number, whole: number): number =>
  whole > 0 ? Math.round(Math.min(1, Math.max(0, part / whole)) * 10_000) / 10_000 : 0
