import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  runQuery,
  statsParams,
} from './common.ts'

/** Visits whose browser came first that day (`new`) or on an earlier one (`returning`). */
export type VisitorKindRow = { kind: string; visits: number; visitors: number; visitors_floor: number }

const SQL = `
SELECT kind, sum(day_visits) AS visits, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT kind, day, sumMerge(visits) AS day_visits,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM visitor_kinds_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY kind, day
)
GROUP BY kind
ORDER BY kind`

/** New and returning visits (docs/engagement.md: what the browser keeps for it). */
export async function getVisitorKinds(warehouse: Warehouse, query: StatsQuery): Promise<VisitorKindRow[]> {
  const rows = await runQuery<VisitorKindRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    kind: row.kind,
    visits: Number(row.visits),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
