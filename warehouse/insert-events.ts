import type { EventRow } from '../schemas/row.ts'
import type { Warehouse } from './client.ts'

/** Inserts privacy-processed rows into `events_in`, the Null table the rollups read from. */
export async function insertEvents(warehouse: Warehouse, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return
  await warehouse.client.insert({ table: 'events_in', values: rows as EventRow[], format: 'JSONEachRow' })
}
