import type { Warehouse } from '../warehouse/client.ts'
import { publicName, storedName } from '../warehouse/cluster-tables.ts'
import { select } from './sql.ts'

/**
 * The rollups the aggregator's jobs maintain, by name. Jobs only ever write these names into
 * SQL; the warehouse's catalogue is checked against this list so that a rollup added by a later
 * migration and forgotten here stops the job loudly instead of escaping retention or keeping
 * visitor sketches forever. `events` is the expression that counts the events a rollup folded
 * in, which the privacy audit compares its row count with.
 */
export const ROLLUPS = [
  { table: 'traffic_hourly', time: 'hour', sketch: false, events: 'sumMerge(events)' },
  { table: 'traffic_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  // Right after traffic_daily: the overview reads a finalized day's counts from traffic_daily once
  // this table marks the day finalized (api/queries/getTrafficByType.ts).
  { table: 'traffic_totals_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  { table: 'pages_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews)' },
  { table: 'sources_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews)' },
  { table: 'tech_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews)' },
  {
    table: 'products_daily',
    time: 'day',
    sketch: true,
    events:
      'sumMerge(views) + sumMerge(carts) + sumMerge(removals) + sumMerge(checkouts) + sumMerge(purchases)',
  },
  { table: 'funnel_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  // Likewise right after funnel_daily (api/queries/getFunnelSteps.ts).
  { table: 'funnel_totals_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  { table: 'transitions_daily', time: 'day', sketch: true, events: 'sumMerge(transitions)' },
  { table: 'offers_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  { table: 'search_daily', time: 'day', sketch: true, events: 'sumMerge(searches)' },
  { table: 'custom_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  { table: 'custom_props_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  // Visits and engagement (docs/engagement.md).
  { table: 'visits_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews)' },
  { table: 'visits_hourly', time: 'hour', sketch: false, events: 'sumMerge(visits)' },
  { table: 'engagement_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews) + sumMerge(reports)' },
  { table: 'entry_exit_daily', time: 'day', sketch: true, events: 'sumMerge(pageviews)' },
  // Engaged time per entry page: no visitor sketch (entry_exit_daily's visitors gate its cells).
  { table: 'entry_engaged_daily', time: 'day', sketch: false, events: 'sumMerge(reports)' },
  { table: 'links_daily', time: 'day', sketch: true, events: 'sumMerge(events)' },
  { table: 'visitor_kinds_daily', time: 'day', sketch: true, events: 'sumMerge(visits)' },
  // Not rollups but kept under the same retention: the released figures and their ledger
  // (aggregator/jobs/publish.ts). Their rows are cells and claims, not events.
  { table: 'released', time: 'day', sketch: false, events: 'count()' },
  { table: 'release_ledger', time: 'day', sketch: false, events: 'count()' },
  // The exact per-day cells the coarser grains are published from; the publish job drops a month
  // of them once its weeks and the month are published, retention at the latest.
  { table: 'exact_cells', time: 'day', sketch: false, events: 'count()' },
] as const

export type Rollup = (typeof ROLLUPS)[number]

export const SKETCH_ROLLUPS = ROLLUPS.filter((rollup) => rollup.sketch)

/** Tables with a time column that another job, not retention, keeps short. */
const NOT_ROLLUPS = new Set(['salts'])

export class UnknownRollupError extends Error {
  override name = 'UnknownRollupError'
}

type ColumnRow = { table: string; name: string; type: string; engine: string }

const STORED_COLUMNS = `SELECT c.table AS table, c.name AS name, c.type AS type, t.engine AS engine
  FROM system.columns AS c
  INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
  WHERE c.database = currentDatabase() AND t.engine NOT IN ('Null', 'View', 'MaterializedView', 'Distributed')`

/** Columns of the tables that store rows here, by public name (`x_local` is `x` on a cluster). */
async function storedColumns(warehouse: Warehouse): Promise<ColumnRow[]> {
  const rows = await select<ColumnRow>(warehouse, STORED_COLUMNS)
  return rows.map((row) => ({ ...row, table: publicName(warehouse, row.table) }))
}

/** Throws when a stored table holds a visitor sketch (any `uniq*` state) and is not a known rollup. */
export async function assertSketchTablesKnown(warehouse: Warehouse): Promise<void> {
  const known = new Set<string>(SKETCH_ROLLUPS.map((rollup) => rollup.table))
  const unknown = new Set(
    (await storedColumns(warehouse))
      .filter((column) => column.type.startsWith('AggregateFunction(uniq') && !known.has(column.table))
      .map((column) => column.table),
  )
  if (unknown.size > 0) {
    throw new UnknownRollupError(
      `tables with a visitor sketch that finalize-sketches does not know: ${[...unknown].sort().join(', ')}; add them to aggregator/rollups.ts`,
    )
  }
}

/** Throws when a stored table has a `day` or `hour` column and is not a known rollup. */
export async function assertTimedTablesKnown(warehouse: Warehouse): Promise<void> {
  const known = new Set<string>(ROLLUPS.map((rollup) => rollup.table))
  const unknown = new Set(
    (await storedColumns(warehouse))
      .filter(
        (column) =>
          (column.name === 'day' || column.name === 'hour') &&
          !known.has(column.table) &&
          !NOT_ROLLUPS.has(column.table),
      )
      .map((column) => column.table),
  )
  if (unknown.size > 0) {
    throw new UnknownRollupError(
      `time-partitioned tables that retention does not know: ${[...unknown].sort().join(', ')}; add them to aggregator/rollups.ts`,
    )
  }
}

const PARTITION_KEY = `SELECT partition_key FROM system.tables
  WHERE database = currentDatabase() AND name = {table:String}`

/**
 * Throws unless the rollup's table is partitioned by the month of its time column: retention
 * drops whole months and finalize-sketches merges the months it finalizes, both by that key.
 * Returns false when the table does not exist (yet).
 */
export async function assertMonthlyPartitions(warehouse: Warehouse, rollup: Rollup): Promise<boolean> {
  const [row] = await select<{ partition_key: string }>(warehouse, PARTITION_KEY, {
    table: storedName(warehouse, rollup.table),
  })
  if (!row) return false
  if (row.partition_key !== `toYYYYMM(${rollup.time})`) {
    throw new UnknownRollupError(
      `${rollup.table} is partitioned by ${row.partition_key}, not toYYYYMM(${rollup.time})`,
    )
  }
  return true
}
