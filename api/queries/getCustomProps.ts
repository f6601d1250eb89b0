import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import { DAY_VISITORS, DAY_VISITORS_FLOOR, IN_RANGE, MAX_GROUPS, runQuery, statsParams } from './common.ts'

/** One property value of a custom event. */
export type CustomPropRow = {
  name: string
  prop_key: string
  prop_value: string
  events: number
  visitors: number
  visitors_floor: number
}

// custom_props_daily has no source, device or country: the route answers it unfiltered only.
const SQL = `
SELECT name, prop_key, prop_value, sum(day_events) AS events, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT name, prop_key, prop_value, day, sumMerge(events) AS day_events,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM custom_props_daily
  WHERE ${IN_RANGE} AND ({name:String} = '' OR name = {name:String})
  GROUP BY name, prop_key, prop_value, day
)
GROUP BY name, prop_key, prop_value
ORDER BY visitors DESC, events DESC, name, prop_key, prop_value
LIMIT ${MAX_GROUPS}`

/** Property values of custom events (all, or one event's), scrubbed by the collector. */
export async function getCustomProps(
  warehouse: Warehouse,
  query: StatsQuery,
  name: string | undefined,
): Promise<CustomPropRow[]> {
  const rows = await runQuery<CustomPropRow>(warehouse, SQL, { ...statsParams(query), name: name ?? '' })
  return rows.map((row) => ({
    name: row.name,
    prop_key: row.prop_key,
    prop_value: row.prop_value,
    events: Number(row.events),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
