import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { row } from '../support/rows.ts'

/** Helpers for the aggregator's warehouse tests. */

export async function rows<T>(
  warehouse: Warehouse,
  query: string,
  params?: Record<string, unknown>,
): Promise<T[]> {
  const result = await warehouse.client.query({
    query,
    format: 'JSONEachRow',
    ...(params ? { query_params: params } : {}),
  })
  return result.json<T>()
}

/** One event of every type, filling what each rollup reads, for `visitor` at `hour`. */
export function everyKindOfEvent(visitor: string, hour: string, variant = 'b'): EventRow[] {
  const product = { product_id: 'bp-1', category: 'brakes', price: 39.9, quantity: 1 }
  const order = {
    revenue: 79.8,
    currency: 'EUR',
    item_ids: ['bp-1'],
    item_categories: ['brakes'],
    item_prices: [39.9],
    item_quantities: [2],
    category: 'brakes',
  }
  const offer = { offer_id: 'spring', offer_variant: variant }
  const base = { visitor, hour }
  return [
    row({
      ...base,
      type: 'pageview',
      path: '/p/:id',
      referrer_host: 'google.com',
      source: 'search',
      entry: 1,
      bounce: 1,
      visitor_kind: 'new',
    }),
    row({ ...base, type: 'product_view', ...product, prev_product_id: 'bp-0', prev_category: 'brakes' }),
    row({ ...base, type: 'add_to_cart', ...product, ...offer }),
    row({ ...base, type: 'remove_from_cart', ...product }),
    row({ ...base, type: 'checkout', ...order, ...offer }),
    row({ ...base, type: 'purchase', ...order, ...offer }),
    row({ ...base, type: 'search', search_query: 'brake pads', search_results: 0 }),
    row({ ...base, type: 'offer_impression', ...offer }),
    row({ ...base, type: 'offer_click', ...offer }),
    row({ ...base, type: 'custom', name: 'newsletter', prop_keys: ['plan'], prop_values: ['pro'] }),
    row({
      ...base,
      type: 'engagement',
      path: '/p/:id',
      engaged_ms: 4000,
      scroll: 60,
      scroll_from: 20,
      entry_path: '/',
    }),
    row({ ...base, type: 'outbound', link_target: 'brembo.com' }),
    row({ ...base, type: 'download', link_target: '/files/guide.pdf' }),
    row({ ...base, type: 'not_found', path: '/old-page' }),
  ]
}

/** Stored tables holding a visitor sketch, from the warehouse's catalogue (views have the columns too). */
export async function sketchTables(warehouse: Warehouse): Promise<string[]> {
  const columns = await rows<{ table: string }>(
    warehouse,
    `SELECT DISTINCT c.table AS table FROM system.columns AS c
     INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
     WHERE c.database = currentDatabase() AND t.engine NOT IN ('View', 'MaterializedView')
       AND c.type LIKE 'AggregateFunction(uniq%'
     ORDER BY table`,
  )
  return columns.map((column) => column.table)
}
