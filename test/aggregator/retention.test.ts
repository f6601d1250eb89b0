import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enforceRetention, monthIsExpired } from '../../aggregator/jobs/retention.ts'
import { ROLLUPS } from '../../aggregator/rollups.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { createSaltStore } from '../../warehouse/salts.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { everyKindOfEvent, rows } from './support.ts'

let warehouse: Warehouse
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
})
afterAll(async () => {
  await dispose?.()
})

const NOW = new Date('2026-11-20T00:20:00Z')
const HOURS = [
  '2025-08-15 10:00:00',
  '2025-09-30 23:00:00',
  '2025-10-01 00:00:00',
  '2025-10-31 23:00:00',
  '2025-11-01 00:00:00',
  '2026-11-20 00:00:00',
]

async function months(): Promise<Record<string, string[]>> {
  const parts = await rows<{ table: string; partition: string }>(
    warehouse,
    `SELECT DISTINCT table, partition FROM system.parts
     WHERE database = currentDatabase() AND active ORDER BY table, partition`,
  )
  const result: Record<string, string[]> = {}
  for (const { table, partition } of parts) result[table] = [...(result[table] ?? []), partition]
  return result
}

describe('retention', () => {
  it('drops exactly the months that lie wholly before the window, from every rollup', async () => {
    await insertEvents(
      warehouse,
      HOURS.flatMap((hour, h) =>
        Array.from({ length: 3 }, (_, i) => everyKindOfEvent(String(10 * h + i), hour)).flat(),
      ),
    )
    await createSaltStore(warehouse).forDay('2026-11-20')
    // Released figures and their ledger live as long as the rollups: a row in each month.
    const days = HOURS.map((hour) => hour.slice(0, 10))
    await warehouse.client.insert({
      table: 'released',
      values: days.map((day) => ({
        site: 'demo',
        grain: 'day',
        day,
        measurement: 'totals',
        measure: 'visitors',
      })),
      format: 'JSONEachRow',
    })
    await warehouse.client.insert({
      table: 'release_ledger',
      values: days.map((day) => ({
        site: 'demo',
        grain: 'day',
        day,
        token: day,
        claimed_at: `${day} 00:00:00`,
      })),
      format: 'JSONEachRow',
    })
    // So do the exact cells kept for the coarser grains, should the publish job not have dropped them.
    await warehouse.client.insert({
      table: 'exact_cells',
      values: days.map((day) => ({ site: 'demo', day, measurement: 'pages', measure: 'visitors', value: 7 })),
      format: 'JSONEachRow',
    })
    const all = ['202508', '202509', '202510', '202511', '202611']
    for (const { table } of ROLLUPS) expect((await months())[table], table).toEqual(all)

    // 395 days back from 2026-11-20 keeps 2025-10-22 onwards: October 2025 is partly inside.
    const first = await enforceRetention(warehouse, NOW, 395)
    expect(first.oldestKept).toBe('2025-10-22')
    for (const { table } of ROLLUPS) {
      expect(first.dropped[table], table).toEqual(['202508', '202509'])
      expect((await months())[table], table).toEqual(['202510', '202511', '202611'])
    }
    expect((await months()).salts).toEqual(['20261120'])

    // One day more than the window starting on 2025-11-01 keeps October; that day less drops it.
    expect((await enforceRetention(warehouse, NOW, 386)).dropped).toEqual({})
    const second = await enforceRetention(warehouse, NOW, 385)
    expect(second.oldestKept).toBe('2025-11-01')
    for (const { table } of ROLLUPS) expect((await months())[table], table).toEqual(['202511', '202611'])
    const [left] = await rows<{ pageviews: number }>(
      warehouse,
      'SELECT sumMerge(pageviews) AS pageviews FROM pages_daily',
    )
    expect(left?.pageviews).toBe(6)
  })

  it('is idempotent', async () => {
    expect((await enforceRetention(warehouse, NOW, 385)).dropped).toEqual({})
  })

  it('refuses to run while a dated table is missing from its list', async () => {
    await warehouse.client.command({
      query:
        'CREATE TABLE IF NOT EXISTS stray_hourly (hour DateTime, n UInt64) ENGINE = MergeTree() ORDER BY hour',
    })
    try {
      await expect(enforceRetention(warehouse, NOW)).rejects.toThrow(/stray_hourly/)
    } finally {
      await warehouse.client.command({ query: 'DROP TABLE stray_hourly' })
    }
  })
})

describe('retention months', () => {
  it('expire only when their last day is before the oldest day kept', () => {
    expect(monthIsExpired('202510', '2025-11-01')).toBe(true)
    expect(monthIsExpired('202510', '2025-10-31')).toBe(false)
    expect(monthIsExpired('202402', '2024-03-01')).toBe(true)
    expect(monthIsExpired('202402', '2024-02-29')).toBe(false)
    expect(monthIsExpired('202412', '2025-01-01')).toBe(true)
  })
})
