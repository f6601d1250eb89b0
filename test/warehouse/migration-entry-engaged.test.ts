import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate, readMigrations } from '../../warehouse/migrate.ts'
import { BACKENDS } from '../support/backends.ts'
import { row } from '../support/rows.ts'

/**
 * Migration 0012 (engaged time per entry page) is numbered below 0020, which adds the events_in
 * column it reads. A fresh warehouse runs it first (test/warehouse/migrations.test.ts); a
 * warehouse migrated before it existed runs it last, which is what this checks.
 */

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>()
}

const columnsOf = async (warehouse: Warehouse, table: string) =>
  (
    await rows<{ name: string }>(
      warehouse,
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}'`,
    )
  ).map((column) => column.name)

describe.each(BACKENDS)('migration 0012 on a warehouse migrated before it, on $name', (backend) => {
  let warehouse: Warehouse
  let dispose: () => Promise<void>

  beforeAll(async () => {
    if (!backend.available) return
    ;({ warehouse, dispose } = await backend.open())
  })
  afterAll(async () => {
    await dispose?.()
  })

  it.skipIf(!backend.available)('adds the columns, the rollup and its view', async () => {
    const all = readMigrations()
    const earlier = all.filter((migration) => migration.version !== 12)
    expect((await migrate(warehouse, earlier)).applied).toEqual(earlier.map((m) => m.name))
    expect(await columnsOf(warehouse, 'events_in')).not.toContain('entry_path')
    expect(await columnsOf(warehouse, 'entry_engaged_daily')).toEqual([])

    expect((await migrate(warehouse, all)).applied).toEqual(['0012_entry_engaged'])
    expect(await columnsOf(warehouse, 'events_in')).toContain('entry_path')
    // Every view of events_in still takes a row of every kind.
    await insertEvents(warehouse, [
      row({ visitor: '7', path: '/landing', entry: 1, bounce: 1 }),
      row({ visitor: '7', type: 'engagement', path: '/landing', engaged_ms: 2500, entry_path: '/landing' }),
      row({ visitor: '7', path: '/next', prev_path: '/landing', bounce: -1 }),
      row({ visitor: '7', type: 'engagement', path: '/next', engaged_ms: 4000, entry_path: '/landing' }),
    ])
    const engaged = await rows<Record<string, number | string>>(
      warehouse,
      `SELECT path, sumMerge(reports) AS reports, sumMerge(engaged_ms) AS engaged_ms
       FROM entry_engaged_daily GROUP BY path ORDER BY path`,
    )
    expect(engaged).toEqual([{ path: '/landing', reports: 2, engaged_ms: 6500 }])
    const [visits] = await rows<Record<string, number>>(
      warehouse,
      "SELECT sumMerge(entries) AS entries, sumMerge(bounces) AS bounces FROM entry_exit_daily WHERE path = '/landing'",
    )
    expect(visits).toEqual({ entries: 1, bounces: 0 })
    // Applied again, nothing changes.
    expect((await migrate(warehouse, all)).applied).toEqual([])
  })
})
