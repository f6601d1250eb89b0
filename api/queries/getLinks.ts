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

/** What links_daily holds, by `kind`: outbound hosts, download paths, paths not found. */
export const LINK_KINDS = ['outbound', 'download', 'not_found'] as const
export type LinkKind = (typeof LINK_KINDS)[number]

export type LinkRow = { target: string; events: number; visitors: number; visitors_floor: number }

const SQL = `
SELECT target, sum(day_events) AS events, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT target, day, sumMerge(events) AS day_events,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM links_daily
  WHERE ${IN_RANGE} AND kind = {kind:String} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY target, day
)
GROUP BY target
ORDER BY events DESC, visitors DESC, target
LIMIT ${MAX_GROUPS}`

/** Clicks (or 404 hits) per destination host, file path or missing path. */
export async function getLinks(warehouse: Warehouse, query: StatsQuery, kind: LinkKind): Promise<LinkRow[]> {
  const rows = await runQuery<LinkRow>(warehouse, SQL, { ...statsParams(query), kind })
  return rows.map((row) => ({
    target: row.target,
    events: Number(row.events),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
