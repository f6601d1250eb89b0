import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { SKETCH_ROLLUPS } from '../../aggregator/rollups.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { everyKindOfEvent, rows, sketchTables } from './support.ts'

let warehouse: Warehouse
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
})
afterAll(async () => {
  await dispose?.()
})

// Rotate-salts ran at midnight: the salts of the 18th (yesterday) and the 19th remain.
const NOW = new Date('2026-11-19T00:10:00Z')
const DAYS = ['2026-10-31', '2026-11-15', '2026-11-17', '2026-11-18', '2026-11-19']
const CUTOFF = '2026-11-18'

/** Every sketch table's visitors per group and day, at the table's own grain. */
async function visitorsAtGrain(): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {}
  for (const table of await sketchTables(warehouse)) {
    const [key] = await rows<{ sorting_key: string }>(
      warehouse,
      'SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
      { table },
    )
    const columns = key?.sorting_key ?? ''
    // Test-only: the key is read from the catalogue of a warehouse this test created.
    result[table] = await rows(
      warehouse,
      `SELECT ${columns}, sumMerge(visitors_final) + uniqCombinedMerge(visitors) AS visitors
       FROM ${table} GROUP BY ${columns} ORDER BY ${columns}`,
    )
  }
  return result
}

async function oldSketches(table: string, before: string): Promise<number> {
  const [row] = await rows<{ n: number }>(
    warehouse,
    `SELECT count() AS n FROM ${table} WHERE day < {before:Date} AND finalizeAggregation(visitors) > 0`,
    { before },
  )
  return Number(row?.n)
}

describe('finalize-sketches', () => {
  it('knows every table that holds a visitor sketch', async () => {
    expect(SKETCH_ROLLUPS.map((rollup) => rollup.table).sort()).toEqual(await sketchTables(warehouse))
  })

  it('turns each sketch of a day whose salt is gone into a count, leaving reads unchanged', async () => {
    // Three batches (three parts per partition); visitors overlap between batches, so a count
    // taken before the parts are merged would count them twice.
    for (const batch of [0, 1, 2]) {
      const events = DAYS.flatMap((day, d) =>
        Array.from({ length: 6 + d }, (_, i) =>
          everyKindOfEvent(
            String(100 * d + i + 3 * batch),
            `${day} ${String(8 + batch).padStart(2, '0')}:00:00`,
          ),
        ).flat(),
      )
      await insertEvents(warehouse, events)
    }
    const before = await visitorsAtGrain()
    for (const table of await sketchTables(warehouse))
      expect(await oldSketches(table, CUTOFF)).toBeGreaterThan(0)

    const report = await finalizeSketches(warehouse, NOW)
    expect(report.cutoff).toBe(CUTOFF)
    expect(Object.keys(report.finalized).sort()).toEqual(await sketchTables(warehouse))

    expect(await visitorsAtGrain()).toEqual(before)
    for (const table of await sketchTables(warehouse)) {
      expect(await oldSketches(table, CUTOFF), table).toBe(0)
      // Yesterday's and today's sketches stay: their salts still exist and they still merge.
      expect(await oldSketches(table, '2026-11-20'), table).toBeGreaterThan(0)
    }
    const [pages] = await rows<{ visitors: number }>(
      warehouse,
      "SELECT sumMerge(visitors_final) + uniqCombinedMerge(visitors) AS visitors FROM pages_daily WHERE day = '2026-11-15'",
    )
    // Day index 1: 7 visitors per batch, shifted by 3 per batch: ids 100..112.
    expect(pages?.visitors).toBe(13)
  })

  it('is idempotent', async () => {
    const before = await visitorsAtGrain()
    expect((await finalizeSketches(warehouse, NOW)).finalized).toEqual({})
    expect(await visitorsAtGrain()).toEqual(before)
  })

  it('adds rows that arrive late for an old day to its count on the next run', async () => {
    const read = async () =>
      (
        await rows<{ visitors: number }>(
          warehouse,
          "SELECT sumMerge(visitors_final) + uniqCombinedMerge(visitors) AS visitors FROM pages_daily WHERE day = '2026-11-15'",
        )
      )[0]?.visitors
    await insertEvents(warehouse, everyKindOfEvent('999', '2026-11-15 23:00:00'))
    expect(await read()).toBe(14)
    const report = await finalizeSketches(warehouse, NOW)
    expect(report.finalized.pages_daily).toBe(1)
    expect(await read()).toBe(14)
    expect(await oldSketches('pages_daily', CUTOFF)).toBe(0)
  })

  it('refuses to run while a table with a sketch is missing from its list', async () => {
    await warehouse.client.command({
      query: `CREATE TABLE IF NOT EXISTS stray_daily (day Date, visitors AggregateFunction(uniqCombined, UInt64))
        ENGINE = AggregatingMergeTree() ORDER BY day`,
    })
    try {
      await expect(finalizeSketches(warehouse, NOW)).rejects.toThrow(/stray_daily/)
    } finally {
      await warehouse.client.command({ query: 'DROP TABLE stray_daily' })
    }
  })
})
