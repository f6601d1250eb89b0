import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget } from '../../warehouse/cluster-tables.ts'
import { assertMonthlyPartitions, assertSketchTablesKnown, SKETCH_ROLLUPS } from '../rollups.ts'
import { dayOffset, requireQueryParameters, run, select } from '../sql.ts'

/**
 * finalize-sketches, daily after rotate-salts and at start: a visitor sketch (a uniqCombined
 * state) holds hashed visitor ids, which is as good as raw data to anyone who still has the day's
 * salt, and of no use once the salt is gone, since no hash links one day to the next. So for
 * every day whose salt has been destroyed (rotate-salts keeps today and yesterday), each group's
 * sketch becomes a plain count in `visitors_final` and the sketch is emptied. Reads are
 * unchanged at each rollup's grain: a day's visitors are always
 * `sumMerge(visitors_final) + uniqCombinedMerge(visitors)`.
 *
 * How: the partitions that still hold old sketches are merged first (OPTIMIZE ... FINAL), so that
 * each (key, day) is one row whose sketch counts every visitor of the group once; then one
 * mutation adds each row's count to its final count and replaces the sketch with an empty one.
 * The mutation only touches rows whose sketch is not empty, so a second run, or a second
 * instance running at once, finds nothing left to do (mutations apply in order, each to the
 * result of the one before). Rows that arrive for an old day after the merge (a write buffer
 * spooled for days) are finalized on the next run, as their own count. The parts that held the
 * sketches before the merge and the mutation are deleted by ClickHouse itself once no query
 * reads them (`old_parts_lifetime`, 8 minutes by default).
 *
 * Runs on ClickHouse 26.x (chDB), where the tests run it. Not on 18.16: no query parameters, and
 * its ALTER UPDATE cannot assign an aggregate state (it wraps the value in `if`, which 18.16
 * does not define for states).
 *
 * On a cluster the counts are read through the Distributed rollups and the merge and the mutation
 * run `ON CLUSTER` on each shard's local table. Each shard then counts its own visitors of a
 * group; the events table is sharded by visitor and day, so no visitor of a day is on two shards
 * and the shards' counts add up to the day's. Not exercised by the tests: chDB cannot form a
 * cluster and the cluster test's 18.16 cannot run this job.
 */

export type FinalizeReport = {
  /** Days before this one no longer hold a sketch. */
  cutoff: string
  /** Per table: stored rows that held such a sketch, counted before the merge. Tables with
   * nothing to do are left out. */
  finalized: Record<string, number>
}

// Table names below come from SKETCH_ROLLUPS only, a constant list, never from input.
// Months are the partitions (checked against the catalogue before each table is touched).
const pending = (table: string) =>
  `SELECT toString(toYYYYMM(day)) AS month, count() AS rows FROM ${table}
   WHERE day < {cutoff:Date} AND finalizeAggregation(visitors) > 0
   GROUP BY month ORDER BY month`

const finalize = (target: string) =>
  `ALTER TABLE ${target} UPDATE
     visitors_final = arrayReduce('sumState', [toUInt64(finalizeAggregation(visitors_final) + finalizeAggregation(visitors))]),
     visitors = arrayReduce('uniqCombinedState', CAST([] AS Array(UInt64)))
   WHERE day < {cutoff:Date} AND finalizeAggregation(visitors) > 0
   SETTINGS mutations_sync = 2`

export async function finalizeSketches(warehouse: Warehouse, now: Date): Promise<FinalizeReport> {
  await requireQueryParameters(warehouse)
  await assertSketchTablesKnown(warehouse)
  // Yesterday's salt still exists, so yesterday's and today's sketches are kept.
  const cutoff = dayOffset(now, -1)
  const finalized: Record<string, number> = {}
  for (const rollup of SKETCH_ROLLUPS) {
    const { table } = rollup
    if (!(await assertMonthlyPartitions(warehouse, rollup))) continue
    const months = await select<{ month: string; rows: number }>(warehouse, pending(table), { cutoff })
    if (months.length === 0) continue
    for (const { month } of months) {
      // A partition cannot be a query parameter in OPTIMIZE, so the month, read from the
      // warehouse's own data, is checked to be six digits before it is written into the statement.
      if (!/^\d{6}$/.test(month)) throw new Error(`${table}: unexpected month ${month}`)
      await run(warehouse, `OPTIMIZE TABLE ${alterTarget(warehouse, table)} PARTITION ${Number(month)} FINAL`)
    }
    await run(warehouse, finalize(alterTarget(warehouse, table)), { cutoff })
    finalized[table] = months.reduce((sum, { rows }) => sum + Number(rows), 0)
    const left = await select<{ rows: number }>(warehouse, pending(table), { cutoff })
    if (left.length > 0) {
      throw new Error(`${table}: ${left.length} months still hold sketches of days before ${cutoff}`)
    }
  }
  return { cutoff, finalized }
}
