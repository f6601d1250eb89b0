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

/** Custom events (goals) by name. */
export type CustomEventRow = { name: string; events: number; visitors: number; visitors_floor: number }

const SQL = `
SELECT name, sum(day_events) AS events, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT name, day, sumMerge(events) AS day_events,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM custom_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY name, day
)
GROUP BY name
ORDER BY visitors DESC, events DESC, name
LIMIT ${MAX_GROUPS}`

/** Custom events per name, with the visitors who sent them. */
export async function getCustomEvents(warehouse: Warehouse, query: StatsQuery): Promise<CustomEventRow[]> {
  const rows = await runQuery<CustomEventRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    name: row.name,
    events: Number(row.events),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
