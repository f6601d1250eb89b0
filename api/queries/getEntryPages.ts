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

/** Pages visits began on, with the share of those visits that saw no other page and their time. */
export type EntryPageRow = {
  path: string
  visits: number
  bounce_rate: number
  /** Mean engaged seconds per visit begun on this page, over all of the visit's pages. */
  visit_duration: number
  visitors: number
  visitors_floor: number
}

// Entries and the +1/-1 bounces of entry_exit_daily (schemas/migrations/0023_entry_exit.sql), and
// the engaged time of the visits begun on each page from entry_engaged_daily (0012_entry_engaged.sql),
// joined by path over the same range and filters: a page without reports has no time.
const SQL = `
SELECT path, visits, bounces, entry_engaged, visitors, visitors_floor
FROM (
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
) AS entries
ANY LEFT JOIN (
  SELECT path, sumMerge(engaged_ms) AS entry_engaged
  FROM entry_engaged_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY path
) AS engaged USING (path)
ORDER BY visits DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

/** Entry pages by visits begun there. */
export async function getEntryPages(warehouse: Warehouse, query: StatsQuery): Promise<EntryPageRow[]> {
  const rows = await runQuery<EntryPageRow & { bounces: number; entry_engaged: number }>(
    warehouse,
    SQL,
    statsParams(query),
  )
  return rows.map((row) => {
    const visits = Number(row.visits)
    return {
      path: row.path,
      visits,
      bounce_rate: rate(Number(row.bounces), visits),
      // Whole seconds, as the overview's visit duration.
      visit_duration: visits > 0 ? Math.round(Number(row.entry_engaged) / 1000 / visits) : 0,
      visitors: Number(row.visitors),
      visitors_floor: Number(row.visitors_floor),
    }
  })
}

/** A share between 0 and 1, to four places; a visit split by midnight may push a day's sum past it. */
export const rate = (part: number, whole: number): number =>
  whole > 0 ? Math.round(Math.min(1, Math.max(0, part / whole)) * 10_000) / 10_000 : 0
