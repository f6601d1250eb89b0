import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { clientIp } from '../collector/client-ip.ts'
import { utcDay } from '../collector/clock.ts'
import { createCountryLookup, createUaClassifier } from '../collector/coarsen.ts'
import { headerRecord } from '../collector/opt-out.ts'
import { createEventPipeline } from '../collector/pipeline.ts'
import { Event } from '../schemas/events.ts'
import type { EventRow } from '../schemas/row.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { insertEvents } from '../warehouse/insert-events.ts'
import { migrate } from '../warehouse/migrate.ts'
import { createTraffic } from './scenario.js'

/**
 * Fills an embedded warehouse with demo traffic spread over the last `--days` days and measures
 * the warehouse's ingestion into the rollups: the scenario's events go through the real privacy
 * pipeline (with one salt per day), and the rows are inserted into `events_in` in batches of
 * `--batch`, as the collector's write buffer does. Only the inserts are timed for rows/s.
 *
 * Runs as its own process because chDB holds one data directory per process: the benchmark then
 * starts `server/main.ts` on the same directory to time the read API.
 *
 *   node --import tsx load/ingest-demo.ts --dir /tmp/x --events 1000000
 *
 * Prints one JSON line with the figures on stdout; progress goes to stderr.
 */

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '30' },
    batch: { type: 'string', default: '5000' },
    site: { type: 'string', default: 'demo' },
    origin: { type: 'string', default: 'https://shop.example' },
    visitors: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '11' },
  },
})
if (!values.dir) throw new Error('--dir is required')
const total = Number(values.events)
const days = Number(values.days)
const batchSize = Number(values.batch)
const site = values.site
const origin = values.origin

const warehouse = await openWarehouse({ kind: 'embedded', path: values.dir, database: 'tally' })
await migrate(warehouse)

const processEvent = createEventPipeline({
  sites: new Map([[site, [origin]]]),
  queryParams: new Map(),
  classifyUa: createUaClassifier(),
  lookupCountry: createCountryLookup({ trustProxy: true }),
})
const traffic = createTraffic({ site, origin, visitors: Number(values.visitors), seed: Number(values.seed) })
const salts = new Map<string, Uint8Array>()
const saltFor = (at: Date) => {
  const day = utcDay(at)
  let salt = salts.get(day)
  if (!salt) {
    salt = randomBytes(32)
    salts.set(day, salt)
  }
  return salt
}

const end = Date.now()
const start = end - days * 86_400_000
// Busier in the day than at night (UTC, for a European shop): an hour's weight is 1 at 03:00, 6 at 19:00.
const hourWeight = (hour: number) => 1 + 5 * Math.max(0, Math.sin(((hour - 7) / 24) * 2 * Math.PI) ** 2)
const randomTime = (): Date => {
  for (;;) {
    const at = new Date(start + Math.random() * (end - start))
    if (Math.random() * 6 < hourWeight(at.getUTCHours())) return at
  }
}

let generateMs = 0
let insertMs = 0
let inserted = 0
let batches = 0
const byType: Record<string, number> = {}
let lastReport = performance.now()
const began = performance.now()

const generate = (size: number): EventRow[] => {
  const rows: EventRow[] = []
  while (rows.length < size) {
    const visit = traffic.next()
    const headers = headerRecord(visit.headers)
    const at = randomTime()
    const row = processEvent(
      Event.parse(visit.event),
      {
        headers,
        ip: clientIp('127.0.0.1', headers, true),
        userAgent: visit.headers['user-agent'] ?? '',
        origin: visit.headers.origin,
        now: at,
      },
      saltFor(at),
    )
    if ('drop' in row) throw new Error(`the pipeline dropped a demo event (${row.drop}): ${visit.body}`)
    rows.push(row)
    byType[row.type] = (byType[row.type] ?? 0) + 1
  }
  return rows
}

// chDB runs a query off the main thread, so the next batch is generated while one is inserted;
// each insert is timed from its call to its completion.
let generated = 0
const nextBatch = () => {
  const started = performance.now()
  const rows = generate(Math.min(batchSize, total - generated))
  generated += rows.length
  generateMs += performance.now() - started
  return rows
}
let pending = nextBatch()
while (pending.length > 0) {
  const started = performance.now()
  const insert = insertEvents(warehouse, pending).then(() => {
    insertMs += performance.now() - started
  })
  const following = generated < total ? nextBatch() : []
  await insert
  inserted += pending.length
  batches++
  pending = following
  if (performance.now() - lastReport > 5000) {
    lastReport = performance.now()
    const seconds = (lastReport - began) / 1000
    process.stderr.write(
      `  ingest: ${inserted.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events, ${seconds.toFixed(0)} s, inserts at ${Math.round(inserted / (insertMs / 1000)).toLocaleString('en-US')} rows/s\n`,
    )
  }
}
const wallSeconds = (performance.now() - began) / 1000

await warehouse.close()
process.stdout.write(
  `${JSON.stringify({
    events: inserted,
    batches,
    batchSize,
    days,
    generateSeconds: generateMs / 1000,
    insertSeconds: insertMs / 1000,
    rowsPerSecond: inserted / (insertMs / 1000),
    wallSeconds,
    byType,
  })}\n`,
)
process.exit(0)
