import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget, storedName } from '../../warehouse/cluster-tables.ts'
import { assertMonthlyPartitions, assertTimedTablesKnown, ROLLUPS } from '../rollups.ts'
import { dayOffset, requireQueryParameters, run, select } from '../sql.ts'

/**
 * retention, daily and at start: drops every month of every rollup that lies entirely before
 * the retention window, so nothing is kept longer than `RETENTION_DAYS`. Rollups are
 * partitioned by month, so a month goes only when its last day is out of the window; until then
 * at most a month more than the window is kept. Dropping a partition is immediate and complete,
 * unlike a delete mutation, and dropping one that is already gone is a no-op, so the job is
 * idempotent and safe on several instances. On a cluster the months are those of every shard's
 * parts and each drop runs `ON CLUSTER` on the local tables.
 */

export type RetentionReport = {
  /** The oldest day kept. */
  oldestKept: string
  /** Per table, the months (`YYYYMM`) dropped. Tables with nothing to drop are left out. */
  dropped: Record<string, string[]>
}

export const DEFAULT_RETENTION_DAYS = 395

/** Whether every day of month `yyyymm` lies before `oldestKept` (`YYYY-MM-DD`). */
export function monthIsExpired(yyyymm: string, oldestKept: string): boolean {
  const year = Number(yyyymm.slice(0, 4))
  const month = Number(yyyymm.slice(4, 6))
  // Day 0 of the next month is the last day of this one.
  const lastDay = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10)
  return lastDay < oldestKept
}

const PARTITIONS = `SELECT DISTINCT partition FROM system.parts
  WHERE database = currentDatabase() AND table = {table:String} AND active ORDER BY partition`

// On a cluster, the parts of every shard's local table. The cluster name is validated config.
const CLUSTER_PARTITIONS = (
  cluster: string,
) => `SELECT DISTINCT partition FROM cluster('${cluster}', system.parts)
  WHERE database = {database:String} AND table = {table:String} AND active ORDER BY partition`

export async function enforceRetention(
  warehouse: Warehouse,
  now: Date,
  retentionDays = DEFAULT_RETENTION_DAYS,
): Promise<RetentionReport> {
  await requireQueryParameters(warehouse)
  await assertTimedTablesKnown(warehouse)
  const oldestKept = dayOffset(now, -(retentionDays - 1))
  const dropped: Record<string, string[]> = {}
  for (const rollup of ROLLUPS) {
    if (!(await assertMonthlyPartitions(warehouse, rollup))) continue
    const { table } = rollup
    const partitions = await select<{ partition: string }>(
      warehouse,
      warehouse.cluster ? CLUSTER_PARTITIONS(warehouse.cluster.name) : PARTITIONS,
      { table: storedName(warehouse, table), database: warehouse.database },
    )
    for (const { partition } of partitions) {
      // A partition cannot be a query parameter in ALTER ... DROP PARTITION, so the value, read
      // from the warehouse's own catalogue, must be six digits before it is written into the
      // statement (as a number, the form toYYYYMM partitions take).
      if (!/^\d{6}$/.test(partition)) throw new Error(`${table}: unexpected partition ${partition}`)
      if (!monthIsExpired(partition, oldestKept)) continue
      await run(warehouse, `ALTER TABLE ${alterTarget(warehouse, table)} DROP PARTITION ${Number(partition)}`)
      dropped[table] = [...(dropped[table] ?? []), partition]
    }
  }
  return { oldestKept, dropped }
}
