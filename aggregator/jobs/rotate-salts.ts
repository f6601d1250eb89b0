import { utcDay } from '../../collector/clock.ts'
import type { SaltStore } from '../../collector/salts.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget } from '../../warehouse/cluster-tables.ts'

/**
 * rotate-salts, at 00:00 UTC and at start: makes sure today's salt exists and destroys every
 * salt older than yesterday. Once a day's salt is gone, nobody, including us, can recompute a
 * visitor hash of that day, so its sketches cannot be linked to a person or to another day.
 * Idempotent, and safe on several instances (they converge on the first salt of the day).
 * The days are read from the rows, through the Distributed table on a cluster, since a day's salt
 * may live on another shard; the drop then goes to every shard's local table.
 */
export async function rotateSalts(
  warehouse: Warehouse,
  salts: SaltStore,
  now: Date,
): Promise<{ today: string; dropped: string[] }> {
  const today = utcDay(now)
  await salts.forDay(today)
  const oldestKept = Number(utcDay(new Date(now.getTime() - 86_400_000)).replaceAll('-', ''))
  const partitions = await (
    await warehouse.client.query({
      query: 'SELECT DISTINCT toString(toYYYYMMDD(day)) AS partition FROM salts',
      format: 'JSONEachRow',
    })
  ).json<{ partition: string }>()
  const dropped: string[] = []
  for (const { partition } of partitions) {
    // Partitions are `toYYYYMMDD(day)`. A partition expression cannot be a query parameter on
    // every supported ClickHouse, so the value, read from the warehouse's own catalogue, is
    // checked to be an eight-digit integer before it is written into the statement.
    if (!/^\d{8}$/.test(partition) || Number(partition) >= oldestKept) continue
    await warehouse.client.command({
      query: `ALTER TABLE ${alterTarget(warehouse, 'salts')} DROP PARTITION ${Number(partition)}`,
    })
    dropped.push(partition)
  }
  forgetOldSalts(salts, now)
  return { today, dropped }
}

/**
 * Drops every salt older than yesterday from this process's memory, as rotate-salts does once it
 * has destroyed them in the warehouse. With WORKERS, the other workers run only this, at the same
 * hour, so none of them keeps a destroyed salt in memory until its next event.
 */
export function forgetOldSalts(salts: SaltStore, now: Date): void {
  salts.evictBefore(utcDay(new Date(now.getTime() - 86_400_000)))
}
