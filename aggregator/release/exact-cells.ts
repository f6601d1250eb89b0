import { periodEnd } from '../../core/periods.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget } from '../../warehouse/cluster-tables.ts'
import { run, select } from '../sql.ts'
import type { ExactCell } from './cells.ts'
import { type Period, periodKey } from './ledger.ts'
import type { CoarseGrain } from './measure.ts'

/**
 * The exact per-day cells of the lists published at coarser grains, in `exact_cells`
 * (schemas/migrations/0011_exact_cells.sql). A day's publication stores them while the day's
 * sketches exist, so that a closed ISO week or month is later published from true daily distinct
 * visitors per cell, summed over its days (the sum of daily uniques, as every range is). Exact
 * aggregates per cell and day only; read by the publish job alone, and dropped a month at a time
 * as soon as every period its days belong to is published.
 */

/** A row of `exact_cells`. */
export type ExactRow = {
  site: string
  day: string
  measurement: string
  grouping: string
  grouping_value: string
  k1: string
  k2: string
  k3: string
  measure: string
  value: number
}

/** The rows of one grouping set's exact cells of one day, one per cell and measure. */
export function exactRows(
  site: string,
  day: string,
  measurement: string,
  grouping: string,
  measures: readonly string[],
  cells: readonly ExactCell[],
): ExactRow[] {
  return cells.flatMap((cell) =>
    measures.map((measure) => ({
      site,
      day,
      measurement,
      grouping,
      grouping_value: String(cell.grouping_value),
      k1: String(cell.k1),
      k2: String(cell.k2),
      k3: String(cell.k3),
      measure,
      value: Number(cell[`m_${measure}`] ?? 0),
    })),
  )
}

export async function storeExactRows(warehouse: Warehouse, rows: readonly ExactRow[]): Promise<void> {
  if (rows.length === 0) return
  await warehouse.client.insert({ table: 'exact_cells', values: rows, format: 'JSONEachRow' })
}

// Aliased apart from `day`: an alias named like the column would replace it in WHERE.
const PERIODS_HELD = `SELECT DISTINCT site, toString(toMonday(day)) AS week, toString(toStartOfMonth(day)) AS month,
    toString(toYYYYMM(day)) AS part
  FROM exact_cells
  ORDER BY site, week, month`

/** The weeks and months, per site, that hold exact cells, with the partition of each day. */
export async function periodsHeld(
  warehouse: Warehouse,
): Promise<Array<{ site: string; week: string; month: string; part: string }>> {
  return select(warehouse, PERIODS_HELD)
}

// A period's cells summed over its days, per grouping set, cell and measure.
const SUMMED = `SELECT measurement, grouping, grouping_value, k1, k2, k3, measure, sum(value) AS total
  FROM exact_cells FINAL
  WHERE site = {site:String} AND day BETWEEN {from:Date} AND {to:Date}
  GROUP BY measurement, grouping, grouping_value, k1, k2, k3, measure
  ORDER BY measurement, grouping, grouping_value, k1, k2, k3, measure`

/**
 * The exact cells of a closed week or month, per `measurement|grouping`, in the shape the exact
 * query of a day returns (`m_<measure>` per measure), for `noiseCells`.
 */
export async function summedCells(
  warehouse: Warehouse,
  period: Period & { grain: CoarseGrain },
): Promise<Map<string, ExactCell[]>> {
  const rows = await select<Omit<ExactRow, 'site' | 'day' | 'value'> & { total: number }>(warehouse, SUMMED, {
    site: period.site,
    from: period.day,
    to: periodEnd(period.grain, period.day),
  })
  const groups = new Map<string, Map<string, ExactCell>>()
  for (const row of rows) {
    const group = `${row.measurement}|${row.grouping}`
    const cells = groups.get(group) ?? new Map<string, ExactCell>()
    const key = JSON.stringify([row.grouping_value, row.k1, row.k2, row.k3])
    const cell = cells.get(key) ?? { grouping_value: row.grouping_value, k1: row.k1, k2: row.k2, k3: row.k3 }
    cell[`m_${row.measure}`] = Number(row.total)
    cells.set(key, cell)
    groups.set(group, cells)
  }
  return new Map([...groups].map(([group, cells]) => [group, [...cells.values()]]))
}

/**
 * Drops every month of `exact_cells` whose days all belong to published periods: for each site
 * with cells in it, the month itself and every ISO week its days fall in (a week may end in the
 * next month) are claimed in the ledger, for each coarse grain published. Dropping a partition is
 * immediate and complete; dropping one already gone is a no-op, so the job is idempotent.
 */
export async function dropSpentExactCells(
  warehouse: Warehouse,
  claimed: ReadonlySet<string>,
  grains: readonly CoarseGrain[],
): Promise<string[]> {
  const held = await periodsHeld(warehouse)
  const pending = new Set<string>()
  for (const row of held) {
    const periods: Period[] = grains.map((grain) => ({
      site: row.site,
      grain,
      day: grain === 'week' ? row.week : row.month,
      slot: 0,
    }))
    if (periods.some((period) => !claimed.has(periodKey(period)))) pending.add(row.part)
  }
  const dropped: string[] = []
  for (const part of new Set(held.map((row) => row.part))) {
    if (pending.has(part)) continue
    // A partition cannot be a query parameter; the month, read from the table, must be six digits.
    if (!/^\d{6}$/.test(part)) throw new Error(`exact_cells: unexpected month ${part}`)
    await run(
      warehouse,
      `ALTER TABLE ${alterTarget(warehouse, 'exact_cells')} DROP PARTITION ${Number(part)}`,
    )
    dropped.push(part)
  }
  return dropped
}
