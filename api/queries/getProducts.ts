import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_CATEGORY,
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  MAX_GROUPS,
  money,
  runQuery,
  statsParams,
} from './common.ts'

export type ProductRow = {
  product_id: string
  category: string
  views: number
  carts: number
  removals: number
  checkouts: number
  purchases: number
  quantity: number
  revenue: number
  visitors: number
  visitors_floor: number
}

const SQL = `
SELECT product_id, category,
  sum(day_views) AS views, sum(day_carts) AS carts, sum(day_removals) AS removals,
  sum(day_checkouts) AS checkouts, sum(day_purchases) AS purchases, sum(day_quantity) AS quantity,
  sum(day_revenue) AS revenue, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT product_id, category, day,
    sumMerge(views) AS day_views, sumMerge(carts) AS day_carts, sumMerge(removals) AS day_removals,
    sumMerge(checkouts) AS day_checkouts, sumMerge(purchases) AS day_purchases,
    sumMerge(quantity) AS day_quantity, sumMerge(revenue) AS day_revenue,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM products_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY} ${BY_CATEGORY}
  GROUP BY product_id, category, day
)
GROUP BY product_id, category
ORDER BY views DESC, visitors DESC, product_id, category
LIMIT ${MAX_GROUPS}`

/** Views, carts and orders per product; visitors are those who did any of it. */
export async function getProducts(warehouse: Warehouse, query: StatsQuery): Promise<ProductRow[]> {
  const rows = await runQuery<ProductRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    product_id: row.product_id,
    category: row.category,
    views: Number(row.views),
    carts: Number(row.carts),
    removals: Number(row.removals),
    checkouts: Number(row.checkouts),
    purchases: Number(row.purchases),
    quantity: Number(row.quantity),
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
