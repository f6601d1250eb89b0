import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseServer } from '../../load/lib/clickhouse-server.ts'
import { clickHouseServerAvailable } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { appliedBatches, prepareInsertPath } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { openTempServer } from '../support/warehouse.ts'

/**
 * A collector killed while it streams a batch to a ClickHouse server. The server sees the body
 * end early; ClickHouse 18.16 takes a plain body that ends early, chunked or not, as the whole
 * body and inserts the rows it got, and the ledger then lists the batch as applied, so the replay
 * would skip it and lose the rest. A gzip body that ends early fails to decompress, so the
 * collector sends its batches compressed: nothing of a cut insert is written, and the replay
 * writes the whole batch.
 */

// Run in a child process so that it can be killed mid-insert, as a collector can be.
const CHILD = `
  import { openWarehouse } from './warehouse/client.ts'
  import { insertBatch, prepareInsertPath } from './warehouse/insert-events.ts'
  const warehouse = await openWarehouse({ kind: 'server', url: process.env.URL, username: 'default', password: '', database: 'tally' })
  const path = await prepareInsertPath(warehouse)
  const row = (n) => JSON.stringify({ ...JSON.parse(process.env.ROW), path: '/cut/' + 'abcdefghij'[n % 10] + n.toString(36).replace(/[0-9]/g, (d) => 'klmnopqrst'[d]), batch_id: process.env.BATCH })
  async function* body() {
    yield Buffer.from(Array.from({ length: 2000 }, (_, n) => row(n)).join('\\n') + '\\n')
    process.stdout.write('sent\\n')
    await new Promise(() => {})
  }
  await insertBatch(warehouse, path, { id: process.env.BATCH, body: body() })
`

describe.skipIf(!clickHouseServerAvailable())('an insert cut off by the death of the collector', () => {
  let warehouse: Warehouse
  let server: ClickHouseServer
  let dispose: () => Promise<void>
  beforeAll(async () => {
    const opened = await openTempServer()
    if (!opened) throw new Error('clickhouse-server is not installed')
    ;({ warehouse, server, dispose } = opened)
    await migrate(warehouse)
    await prepareInsertPath(warehouse)
  })
  afterAll(async () => {
    await dispose?.()
  })

  it('writes nothing and leaves the batch out of the ledger', async () => {
    const { row } = await import('../support/rows.ts')
    const batch = 'abcdefghijklmnopabcdefghijklmnop'
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, URL: server.url, BATCH: batch, ROW: JSON.stringify(row()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('sent') && resolve())
      child.once('exit', (code) => reject(new Error(`the child exited with ${code}: ${output}`)))
    })
    // Long enough for the rows to reach the server; the body has not ended.
    await new Promise((resolve) => setTimeout(resolve, 500))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const result = await warehouse.client.query({
      query: "SELECT toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/cut/%'",
      format: 'JSONEachRow',
    })
    expect((await result.json<{ n: string | number }>()).map((each) => Number(each.n))).toEqual([0])
    expect(await appliedBatches(warehouse, [batch])).toEqual(new Set())
  }, 60_000)
})
