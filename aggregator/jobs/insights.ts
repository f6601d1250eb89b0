import { addDays, monthOf } from '../../core/periods.ts'
import { DEFAULT_INSIGHTS_WINDOW_DAYS, RECO_TABLES, type RecoTable } from '../../schemas/constants.ts'
import type { Privacy } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget } from '../../warehouse/cluster-tables.ts'
import { kSnapshot, releasedSnapshot, type SnapshotRows } from '../insights/snapshot.ts'
import { dayOffset, requireQueryParameters, run, select, utcSeconds } from '../sql.ts'

/**
 * insights, every 15 minutes, at start, and on demand (`computeInsights` is what an admin
 * endpoint calls): offer performance per segment and product affinity over the last
 * `windowDays` days, written as one snapshot to the `reco_*` tables (schemas/migrations/0008).
 * With DP_EPSILON=off every row written has at least `kAnon` visitors and how many groups each
 * list held back is written with it, as counts only (reco_held_back, 0040); with DP on the rows
 * are a post-processing of released cells (insights/snapshot.ts), written to the `reco_*_released`
 * tables (0041), and readers take only their own mode's tables.
 *
 * Several instances may run it at once: each writes a snapshot stamped with its own clock, the
 * newest wins for readers, and older snapshots are deleted after each write. A run that finds a
 * snapshot as new as its own clock already written does nothing. On a cluster the snapshot is
 * written and read through the Distributed `reco_*` tables (a site's rows on one shard) and the
 * delete runs `ON CLUSTER` on the local ones.
 */

export type InsightsConfig = {
  kAnon: number
  windowDays?: number
  /** With DP on, the snapshot is made from released cells only (insights/snapshot.ts). */
  privacy?: Privacy
}

export type InsightsReport = {
  computedAt: string
  window: { from: string; to: string }
  /** True when a snapshot this new already existed, so nothing was written. */
  skipped: boolean
} & SnapshotRows['counts']

const NEWER_SNAPSHOTS = RECO_TABLES.map(
  (table) => `SELECT count() AS n FROM ${table} WHERE computed_at >= toDateTime({at:String}, 'UTC')`,
).join(' UNION ALL ')

const OLDER_ROWS = (table: string) =>
  `SELECT count() AS n FROM ${table} WHERE computed_at < toDateTime({at:String}, 'UTC')`

const DELETE_OLDER = (target: string) =>
  `ALTER TABLE ${target} DELETE WHERE computed_at < toDateTime({at:String}, 'UTC') SETTINGS mutations_sync = 2`

export async function computeInsights(
  warehouse: Warehouse,
  now: Date,
  config: InsightsConfig,
): Promise<InsightsReport> {
  const at = utcSeconds(now)
  const windowDays = config.windowDays ?? DEFAULT_INSIGHTS_WINDOW_DAYS
  const window = { from: dayOffset(now, -(windowDays - 1)), to: dayOffset(now, 0) }
  const report = {
    computedAt: at,
    window,
    skipped: false,
    segments: 0,
    suppressedCells: 0,
    heldVariants: 0,
    heldPairs: 0,
    offers: 0,
    affinities: 0,
  }

  await requireQueryParameters(warehouse)
  const newer = await select<{ n: number }>(warehouse, NEWER_SNAPSHOTS, { at })
  if (newer.some((row) => Number(row.n) > 0)) return { ...report, skipped: true }

  const dp = config.privacy !== undefined && config.privacy.mechanism !== 'off'
  const read = dp ? releasedWindow(window.to) : window
  const rows = dp
    ? await releasedSnapshot(warehouse, read, config.kAnon)
    : await kSnapshot(warehouse, read, config.kAnon)
  const stamp = (values: Record<string, unknown>[]) => values.map((row) => ({ ...row, computed_at: at }))
  const released = rows.release === 'differential-privacy'
  await insert(warehouse, released ? 'reco_segments_released' : 'reco_segments', stamp(rows.reco_segments))
  await insert(warehouse, released ? 'reco_offers_released' : 'reco_offers', stamp(rows.reco_offers))
  await insert(warehouse, released ? 'reco_affinity_released' : 'reco_affinity', stamp(rows.reco_affinity))
  // Last: a reader that finds this snapshot's counts finds its rows written too.
  await insert(warehouse, 'reco_held_back', stamp(rows.reco_held_back))
  // The new snapshot is complete before an old one goes, so a reader always finds one.
  for (const table of RECO_TABLES) {
    const [older] = await select<{ n: number }>(warehouse, OLDER_ROWS(table), { at })
    if (Number(older?.n ?? 0) > 0) await run(warehouse, DELETE_OLDER(alterTarget(warehouse, table)), { at })
  }
  return { ...report, window: read, ...rows.counts }
}

/**
 * With DP on, the window is the previous calendar month and the current one so far: the arms are
 * published per month and per ISO week (aggregator/release/measurements.ts), so it reads last
 * month's cells and this month's closed weeks, at least 30 days of released figures.
 */
export function releasedWindow(today: string): { from: string; to: string } {
  return { from: monthOf(addDays(monthOf(today), -1)), to: today }
}

async function insert(
  warehouse: Warehouse,
  table: RecoTable,
  values: Record<string, unknown>[],
): Promise<void> {
  if (values.length === 0) return
  await warehouse.client.insert({ table, values, format: 'JSONEachRow' })
}
