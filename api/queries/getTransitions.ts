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

export type TransitionRow = {
  from_product: string
  from_category: string
  to_product: string
  to_category: string
  transitions: number
  visitors: number
  visitors_floor: number
}

// The category filter is the category of the product viewed (`to_category`): the category of
// interest, as in the funnel and the product views.
const SQL = `
SELECT from_product, from_category, to_product, to_category,
  sum(day_transitions) AS transitions, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT from_product, from_category, to_product, to_category, day,
    sumMerge(transitions) AS day_transitions, ${DAY_VISITORS} AS day_visitors,
    ${DAY_VISITORS_FLOOR} AS day_floor
  FROM transitions_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
    AND ({category:String} = '' OR to_category = {category:String})
    AND ({product:String} = '' OR from_product = {product:String})
  GROUP BY from_product, from_category, to_product, to_category, day
)
GROUP BY from_product, from_category, to_product, to_category
ORDER BY transitions DESC, visitors DESC, from_product, to_product
LIMIT ${MAX_GROUPS}`

/** "Viewed A, then B": transitions between products, optionally only those leaving `product`. */
export async function getTransitions(
  warehouse: Warehouse,
  query: StatsQuery & { product?: string | undefined },
): Promise<TransitionRow[]> {
  const rows = await runQuery<TransitionRow>(warehouse, SQL, {
    ...statsParams(query),
    product: query.product ?? '',
  })
  return rows.map((row) => ({
    from_product: row.from_product,
    from_category: row.from_category,
    to_product: row.to_product,
    to_category: row.to_category,
    transitions: Number(row.transitions),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
