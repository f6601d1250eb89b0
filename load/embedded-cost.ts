import { randomBytes, randomInt } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { type EventRow, emptyRow } from '../schemas/row.ts'
import { openWarehouse, type Warehouse } from '../warehouse/client.ts'
import { prepareInsertPath } from '../warehouse/insert-events.ts'
import { migrate } from '../warehouse/migrate.ts'

/**
 * What the embedded warehouse costs per event in the collector's batch shape: `--rows` pageviews in
 * batches of `--batch`, through the collector's insert (JSONEachRow, deduplication token, fsynced
 * parts), then until the background merges are done. Prints the process's CPU time (every thread:
 * chDB's inserts and merges) per row, split into the inserts and what came after them, and the
 * warehouse's own counters. Run pinned to one core to see what it costs the collector's core:
 *
 *   taskset -c 1 node --import tsx load/embedded-cost.ts --batch 10000 --rows 200000
 *   ... --settings optimize_on_insert=0   (extra settings of each INSERT, to compare)
 */

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '10000' },
    rows: { type: 'string', default: '200000' },
    settings: { type: 'string', default: '' },
    // Seconds the batches are spread over, as a collector's would be (0: back to back).
    spread: { type: 'string', default: '0' },
  },
})
const batch = Number(values.batch)
const total = Number(values.rows)
const spreadMs = (Number(values.spread) * 1000) / Math.ceil(total / batch)
const extra = values.settings
  .split(',')
  .map((part) => part.trim())
  .filter((part) => /^\w+\s*=\s*[\w.']+$/.test(part))

const PATHS = Array.from({ length: 300 }, (_, i) => `/p/product-${i}`)
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'IT', 'ES', 'PL', 'SE', 'AT', 'CH', 'BE']
const SOURCES = ['direct', 'search', 'social', 'referral', 'email']
const hour = `${new Date().toISOString().slice(0, 13).replace('T', ' ')}:00:00`

function pageview(): EventRow {
  const path = PATHS[randomInt(PATHS.length)] as string
  return {
    ...emptyRow(),
    hour,
    site: 'demo',
    type: 'pageview',
    visitor: randomBytes(8).readBigUInt64BE().toString(),
    path,
    source: SOURCES[randomInt(SOURCES.length)] as string,
    device: randomInt(3) === 0 ? 'mobile' : 'desktop',
    browser: ['Chrome', 'Firefox', 'Safari', 'Edge'][randomInt(4)] as string,
    os: ['Linux', 'Windows', 'macOS', 'Android', 'iOS'][randomInt(5)] as string,
    country: COUNTRIES[randomInt(COUNTRIES.length)] as string,
    prev_path: PATHS[randomInt(PATHS.length)] as string,
    product_id: path.slice(3),
  }
}

const batchId = () => Array.from({ length: 32 }, () => 'abcdefghijklmnop'[randomInt(16)]).join('')
const cpu = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

async function events(warehouse: Warehouse): Promise<Map<string, number>> {
  const rows = await (
    await warehouse.client.query({
      query: `SELECT event, value FROM system.events WHERE event IN ('InsertedRows', 'MergedRows', 'Merge', 'MergesTimeMilliseconds', 'UserTimeMicroseconds', 'SystemTimeMicroseconds', 'FileSync', 'DirectorySync', 'InsertQueryTimeMicroseconds', 'DuplicatedInsertedBlocks')`,
      format: 'JSONEachRow',
    })
  ).json<{ event: string; value: number }>()
  return new Map(rows.map((row) => [row.event, Number(row.value)]))
}

async function merging(warehouse: Warehouse): Promise<number> {
  const rows = await (
    await warehouse.client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })
  ).json<{ n: number }>()
  return Number(rows[0]?.n ?? 0)
}

const dir = mkdtempSync(join(tmpdir(), 'embedded-cost-'))
const warehouse = await openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
try {
  await migrate(warehouse)
  await prepareInsertPath(warehouse)
  const bodies: Buffer[] = []
  for (let i = 0; i < total; i += batch) {
    const n = Math.min(batch, total - i)
    bodies.push(Buffer.from(`${Array.from({ length: n }, () => JSON.stringify(pageview())).join('\n')}\n`))
  }
  const before = await events(warehouse)
  const started = cpu()
  const wallStarted = performance.now()
  let insertCpu = 0
  let insertWall = 0
  for (const body of bodies) {
    const id = batchId()
    const settings = [
      'insert_deduplicate = 1',
      'deduplicate_blocks_in_dependent_materialized_views = 1',
      `insert_deduplication_token = '${id}'`,
      ...extra,
    ]
    const at = cpu()
    const t = performance.now()
    const result = await warehouse.client.exec({
      query: `INSERT INTO events_in SETTINGS ${settings.join(', ')} FORMAT JSONEachRow`,
      values: Readable.from([body]),
    })
    result.stream.resume()
    insertCpu += cpu() - at
    insertWall += performance.now() - t
    if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, spreadMs))
  }
  const afterInserts = cpu()
  const wallInserts = performance.now() - wallStarted
  // Until the merges the inserts set off are done, and a little after.
  let quiet = 0
  while (quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    quiet = (await merging(warehouse)) === 0 ? quiet + 1 : 0
  }
  const ended = cpu()
  const after = await events(warehouse)
  const delta = Object.fromEntries([...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)]))
  const parts = await (
    await warehouse.client.query({
      query: `SELECT count() AS n FROM system.parts WHERE database = 'tally' AND active`,
      format: 'JSONEachRow',
    })
  ).json<{ n: number }>()
  console.log(
    JSON.stringify({
      batch,
      rows: total,
      settings: extra,
      inserts: bodies.length,
      usPerRowInsertsOnly: Math.round((insertCpu / total) * 10) / 10,
      usPerRowDuringInserts: Math.round(((afterInserts - started) / total) * 10) / 10,
      usPerRowWithMerges: Math.round(((ended - started) / total) * 10) / 10,
      msPerInsertWall: Math.round(insertWall / bodies.length),
      wallInsertsS: Math.round(wallInserts / 100) / 10,
      activeParts: parts[0]?.n,
      events: delta,
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
    }),
  )
} finally {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
}
