import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collector, createCollector } from '../../collector/collector.ts'
import { createLogger } from '../../core/logger.ts'
import { loadConfig } from '../../schemas/config.ts'
import { createApp } from '../../server/app.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { postEvents } from '../support/http.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { DASHBOARD_TOKEN, SHOP } from './support.ts'

/*
 * "Visitors now" over a real socket: the collector's memory, the k gate of the read API, and
 * proof that nothing of it is written: not to the warehouse, not to the write-ahead log, not to
 * the log (captured here at trace level).
 */

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let collector: Collector
let server: ReturnType<typeof serve>
let url = ''
let dataDir = ''
let now = new Date('2026-03-10T10:00:00Z')
let migrations: Awaited<ReturnType<typeof migrate>>
const logLines: string[] = []
const IPS = Array.from({ length: 6 }, (_, index) => `203.0.113.${index + 10}`)

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  dataDir = mkdtempSync(join(tmpdir(), 'tally-now-'))
  const config = loadConfig({
    SITES: `shop=${SHOP}`,
    TRUST_PROXY: '1',
    DATA_DIR: dataDir,
    DASHBOARD_TOKEN,
    DP_EPSILON: 'off',
    FLUSH_INTERVAL_MS: '60000',
    LOG_LEVEL: 'trace',
  })
  const logger = createLogger('trace', { write: (line: string) => void logLines.push(line) })
  migrations = await migrate(warehouse)
  collector = createCollector({ config, warehouse, logger, now: () => now })
  const app = createApp({ logger, config, collector, health: { warehouse, migrations } })
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()))
  await collector?.close()
  await disposeWarehouse?.()
  rmSync(dataDir, { recursive: true, force: true })
})

const visit = (ip: string) =>
  postEvents(url, { type: 'pageview', site: 'shop', url: `${SHOP}/now` }, { 'x-forwarded-for': ip })

async function readNow(): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/api/stats/now?site=shop`, {
    headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

async function dumpEveryTable(): Promise<string> {
  const tables = await (
    await warehouse.client.query({
      query:
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'View') ORDER BY name",
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>()
  let text = ''
  for (const { name } of tables) {
    // Table names come from the warehouse's own catalogue, not from input.
    const result = await warehouse.client.query({ query: `SELECT * FROM ${name}`, format: 'TabSeparated' })
    text += `${name}\n${(await result.text()).split('\n').sort().join('\n')}\n`
  }
  return text
}

/** Every file under DATA_DIR (the write-ahead log, token files) by name, size and content hash. */
function dataFiles(dir = dataDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const stat = statSync(path)
    if (stat.isDirectory()) return dataFiles(path)
    // The log's LOCK is a socket: not a file anything is written to.
    if (!stat.isFile()) return []
    return [`${path} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`]
  })
}

describe('GET /api/stats/now', () => {
  it('says "fewer than K" below K_ANON, and counts distinct visitors of the last five minutes', async () => {
    for (const ip of IPS.slice(0, 3)) expect((await visit(ip)).status).toBe(202)
    expect(await readNow()).toMatchObject({ now: null, suppressed: 1, release: 'k-threshold' })
    // Two more pageviews of a visitor already counted change nothing.
    now = new Date('2026-03-10T10:02:00Z')
    for (const ip of [...IPS.slice(3), IPS[0] as string, IPS[0] as string]) await visit(ip)
    expect(await readNow()).toMatchObject({ now: { visitors: 6, minutes: 5 }, suppressed: 0 })
    // 10:05: the three of 10:00 are forgotten (their minute left the window) but for the one who
    // came back at 10:02: four visitors, under K_ANON again.
    now = new Date('2026-03-10T10:05:30Z')
    expect(await readNow()).toMatchObject({ now: null, suppressed: 1 })
  })

  it('is never given with differential privacy on, however many visitors there are', async () => {
    const config = loadConfig({ SITES: `shop=${SHOP}`, DATA_DIR: dataDir, DASHBOARD_TOKEN, DP_EPSILON: '1' })
    const app = createApp({
      logger: createLogger('warn'),
      config,
      collector,
      health: { warehouse, migrations },
    })
    now = new Date('2026-03-10T10:06:00Z')
    for (const ip of IPS) await visit(ip)
    expect(await readNow()).toMatchObject({ now: { visitors: 6 } })
    const response = await app.request('/api/stats/now?site=shop', {
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      now: null,
      suppressed: null,
      release: 'differential-privacy',
    })
  })

  it('writes nothing of it to the warehouse, the write-ahead log or the log', async () => {
    await collector.batcher.flush()
    const tables = await dumpEveryTable()
    const files = dataFiles()
    const logged = logLines.length
    for (let read = 0; read < 3; read++) await readNow()
    await collector.batcher.flush()
    // Counting and reading the count leave every table and every file as they were.
    expect(await dumpEveryTable()).toBe(tables)
    expect(dataFiles()).toEqual(files)
    expect(tables).toContain('/now')
    const afterReads = logLines.slice(logged)
    // The log holds request lines: never an address, a visitor hash or a count of visitors now.
    const log = logLines.join('')
    for (const ip of IPS) expect(log).not.toContain(ip)
    expect(log).not.toMatch(/\b\d{15,20}\b/)
    expect(afterReads.length).toBeGreaterThan(0)
    for (const line of afterReads) expect(line).not.toMatch(/"visitors"/)
  })
})
