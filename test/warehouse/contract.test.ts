import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { BACKENDS } from '../support/backends.ts'
import { row } from '../support/rows.ts'
import { majorVersion } from '../support/warehouse.ts'

// The same cases on every connection: nothing above the client may depend on which it is.
describe.each(BACKENDS)('warehouse contract on $name', (backend) => {
  let warehouse: Warehouse
  let dispose: () => Promise<void>

  beforeAll(async () => {
    if (!backend.available) return
    ;({ warehouse, dispose } = await backend.open())
    await migrate(warehouse)
  })
  afterAll(async () => {
    await dispose?.()
  })

  it.skipIf(!backend.available)('answers a ping and reports a version', async () => {
    expect((await warehouse.client.ping()).success).toBe(true)
    expect(await warehouse.version()).toMatch(/^\d+\.\d+/)
    expect(warehouse.kind).toBe(backend.name)
  })

  it.skipIf(!backend.available)('works in the configured database', async () => {
    const result = await warehouse.client.query({
      query: 'SELECT currentDatabase() AS db',
      format: 'JSONEachRow',
    })
    expect(await result.json()).toEqual([{ db: 'tally' }])
  })

  it.skipIf(!backend.available)('returns counts as JSON numbers', async () => {
    const result = await warehouse.client.query({
      query: 'SELECT count() AS n, sum(number) AS total FROM numbers(10)',
      format: 'JSONEachRow',
    })
    const [first] = await result.json<{ n: unknown; total: unknown }>()
    expect(typeof first?.n).toBe('number')
    expect(typeof first?.total).toBe('number')
  })

  it.skipIf(!backend.available)('takes 64-bit visitor hashes through the insert path', async () => {
    await insertEvents(warehouse, [
      row({ site: 'contract', visitor: '18446744073709551615' }),
      row({ site: 'contract', visitor: '18446744073709551615' }),
      row({ site: 'contract', visitor: '9223372036854775808' }),
    ])
    const result = await warehouse.client.query({
      query:
        "SELECT sumMerge(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS visitors FROM pages_daily WHERE site = 'contract'",
      format: 'JSONEachRow',
    })
    expect(await result.json()).toEqual([{ pageviews: 3, visitors: 2 }])
  })

  it.skipIf(!backend.available)('binds {name:Type} parameters (ClickHouse 19 and later)', async (context) => {
    const major = await majorVersion(warehouse)
    if (major < 19) {
      console.warn(`[${backend.name}] read case skipped: ClickHouse ${major} has no query parameters`)
      context.skip()
    }
    const result = await warehouse.client.query({
      query: 'SELECT {site:String} AS site, {n:UInt32} + 1 AS next',
      query_params: { site: "x' OR 1=1 --", n: 41 },
      format: 'JSONEachRow',
    })
    expect(await result.json()).toEqual([{ site: "x' OR 1=1 --", next: 42 }])
  })

  it.skipIf(!backend.available)('surfaces server errors as typed errors with a code', async () => {
    // The message format differs between versions; the table name is always in it.
    await expect(warehouse.client.query({ query: 'SELECT * FROM no_such_table' })).rejects.toThrow(
      /no_such_table/,
    )
  })
})
