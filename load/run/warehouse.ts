import type { WarehouseConfig } from '../../schemas/config.ts'
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts'

export async function withWarehouse<T>(
  config: WarehouseConfig,
  use: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  const warehouse = await openWarehouse(config)
  try {
    return await use(warehouse)
  } finally {
    await warehouse.close()
  }
}

/** Events per type in `traffic_daily`: every event lands there once, whatever its type. */
export async function eventsByType(warehouse: Warehouse, siteId: string): Promise<Map<string, number>> {
  // The site id was validated by the config schema's pattern (letters, digits, _ and -), and
  // ClickHouse 18.16 has no query parameters: it is quoted here.
  if (!/^[A-Za-z0-9_-]+$/.test(siteId)) throw new Error(`bad site id ${siteId}`)
  const result = await warehouse.client.query({
    query: `SELECT type, sumMerge(events) AS events FROM traffic_daily WHERE site = '${siteId}' GROUP BY type`,
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ type: string; events: number | string }>()
  return new Map(rows.map((row) => [row.type, Number(row.events)]))
}

export function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>()
  for (const [type, count] of after) result.set(type, count - (before.get(type) ?? 0))
  return result
}
