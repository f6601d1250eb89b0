import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  openWarehouse,
  type Warehouse,
  WarehouseBusyError,
  WarehouseClosedError,
} from '../../warehouse/client.ts'

// chDB binds one data directory per process: every test opens its warehouse at this one.
const dir = mkdtempSync(join(tmpdir(), 'tally-close-drain-'))
const open = () => openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A query that runs a second in chDB, sleeping rather than computing (the sum keeps the sleep). */
const slowQuery = (warehouse: Warehouse) =>
  warehouse.client.query({
    query: 'SELECT sum(sleepEachRow(0.1)) AS slept, count() AS rows FROM numbers(10)',
    format: 'JSONEachRow',
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('closing the embedded warehouse', () => {
  it('waits for the query in flight, and refuses every call made after close() began', async () => {
    const warehouse = await open()
    const events: string[] = []
    const slow = slowQuery(warehouse).then(async (result) => {
      events.push('query done')
      return result.json()
    })
    await sleep(200)
    const closing = warehouse.close().then(() => events.push('closed'))

    await expect(warehouse.client.query({ query: 'SELECT 1' })).rejects.toBeInstanceOf(WarehouseClosedError)
    await expect(warehouse.client.command({ query: 'SELECT 1' })).rejects.toThrow(
      'the warehouse is closing: command() refused',
    )
    await expect(
      warehouse.client.insert({ table: 'nowhere', values: [{ a: 1 }], format: 'JSONEachRow' }),
    ).rejects.toBeInstanceOf(WarehouseClosedError)
    // A health check is told the warehouse does not answer, rather than failing.
    const ping = await warehouse.client.ping()
    expect(ping.success).toBe(false)
    expect(!ping.success && ping.error).toBeInstanceOf(WarehouseClosedError)

    expect(await slow).toEqual([{ slept: 0, rows: 10 }])
    await closing
    expect(events).toEqual(['query done', 'closed'])
    // Closing again waits for the same close.
    await warehouse.close()
  })

  it('gives up after waitMs with WarehouseBusyError, leaving the query to finish, and closes when asked again', async () => {
    const warehouse = await open()
    const slow = slowQuery(warehouse).then((result) => result.json())
    await sleep(200)
    const started = performance.now()
    await expect(warehouse.close({ waitMs: 100 })).rejects.toBeInstanceOf(WarehouseBusyError)
    expect(performance.now() - started).toBeLessThan(700)
    // Still refusing: a close that gave up does not reopen the warehouse.
    await expect(warehouse.client.query({ query: 'SELECT 1' })).rejects.toBeInstanceOf(WarehouseClosedError)
    expect(await slow).toEqual([{ slept: 0, rows: 10 }])
    await warehouse.close({ waitMs: 5_000 })
  })

  it('opens again at the same place once closed, with what was written', async () => {
    const first = await open()
    await first.client.command({ query: 'CREATE TABLE kept (n UInt64) ENGINE = MergeTree ORDER BY n' })
    const insert = first.client.command({ query: 'INSERT INTO kept SELECT number FROM numbers(1000000)' })
    await first.close()
    await insert
    const second = await open()
    try {
      const rows = await (
        await second.client.query({ query: 'SELECT count() AS n FROM kept', format: 'JSONEachRow' })
      ).json()
      expect(rows).toEqual([{ n: 1_000_000 }])
    } finally {
      await second.close()
    }
  })
})
