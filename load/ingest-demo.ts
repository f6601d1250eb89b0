import { randomInt } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { MAX_BATCH_EVENTS } from '../collector/write-buffer/batcher.ts'
import { openWarehouse, type Warehouse } from '../warehouse/client.ts'
import { insertBatch, prepareInsertPath } from '../warehouse/insert-events.ts'
import { migrate } from '../warehouse/migrate.ts'
import type { Chunk, Credit, DaySpan, WorkerInput, WorkerMessage } from './lib/demo-days.ts'
import { TAB_SEPARATED_INSERT } from './lib/tab-separated.ts'

/**
 * Fills an embedded warehouse with demo traffic spread over the last `--days` days and measures
 * the warehouse's ingestion into the rollups. Every event goes through the real privacy pipeline
 * (one salt per day) in `--workers` worker threads, day by day; the main thread inserts into
 * `events_in` in two ways, timed apart:
 *
 * - **bulk load**: each day in chunks of `--chunk` rows (TabSeparated, one day per insert), the
 *   way a large import is loaded. Almost all the demo events go this way.
 * - **the collector's batch shape**: `--live-batches` batches of `--live-batch` rows of the last
 *   day, sorted by hour (a live batch covers minutes to an hour), inserted with the collector's
 *   own write path (`prepareInsertPath` + `insertBatch`: JSONEachRow, deduplication token, fsync)
 *   after the bulk load, so into full rollups.
 *
 * Runs as its own process because chDB holds one data directory per process: the benchmark then
 * starts `server/main.ts` on the same directory to time the read API.
 *
 *   node --import tsx load/ingest-demo.ts --dir /tmp/x --events 10000000
 *
 * Prints one JSON line with the figures on stdout; progress goes to stderr.
 */

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '30' },
    chunk: { type: 'string', default: '100000' },
    workers: { type: 'string', default: String(availableParallelism()) },
    // The collector's own batch limit in embedded mode: what a busy embedded collector inserts.
    'live-batch': { type: 'string', default: String(MAX_BATCH_EVENTS.embedded) },
    'live-batches': { type: 'string', default: '20' },
    site: { type: 'string', default: 'demo' },
    origin: { type: 'string', default: 'https://shop.example' },
    visitors: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '11' },
  },
})
if (!values.dir) throw new Error('--dir is required')
const positive = (name: keyof typeof values): number => {
  const value = Number(values[name])
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`)
  return value
}
const total = positive('events')
const days = Math.max(1, positive('days'))
const chunkRows = Math.max(1, positive('chunk'))
const workerCount = Math.max(1, positive('workers'))
const liveBatch = Math.max(1, positive('live-batch'))
// The live sample is at most a tenth of the events, so a small run stays mostly bulk.
const liveRows = Math.min(positive('live-batches') * liveBatch, Math.floor(total / 10))

export type IngestFigures = {
  events: number
  days: number
  workers: number
  /** Worker time spent running the pipeline and writing insert bodies, summed over the threads. */
  generateSeconds: number
  bulk: {
    rows: number
    inserts: number
    chunkRows: number
    format: string
    seconds: number
    rowsPerSecond: number
  }
  live: {
    rows: number
    batches: number
    batchSize: number
    format: string
    seconds: number
    rowsPerSecond: number
  }
  wallSeconds: number
  byType: Record<string, number>
}

/** The demo period cut at UTC midnights, each day with its share of the events. */
function daySpans(end: number): DaySpan[] {
  const start = end - days * 86_400_000
  const spans: DaySpan[] = []
  for (let from = start; from < end; ) {
    const midnight = (Math.floor(from / 86_400_000) + 1) * 86_400_000
    const to = Math.min(midnight, end)
    spans.push({
      day: new Date(from).toISOString().slice(0, 10),
      start: from,
      end: to,
      events: 0,
      live: false,
    })
    from = to
  }
  let given = 0
  for (const span of spans) {
    span.events = Math.floor((total * (span.end - span.start)) / (end - start))
    given += span.events
  }
  const last = spans[spans.length - 1] as DaySpan
  last.events += total - given
  last.live = true
  return spans
}

const warehouse = await openWarehouse({ kind: 'embedded', path: values.dir, database: 'tally' })
await migrate(warehouse)

const began = performance.now()
const spans = daySpans(Date.now())
const byType: Record<string, number> = {}
let generateMs = 0
let bulkMs = 0
let bulkRows = 0
let bulkInserts = 0
const liveText: string[] = []
let lastReport = performance.now()

async function insertTabSeparated(target: Warehouse, text: string): Promise<void> {
  const result = await target.client.exec({ query: TAB_SEPARATED_INSERT, values: Readable.from([text]) })
  result.stream.resume()
  await new Promise<void>((resolve, reject) => {
    result.stream.once('end', resolve)
    result.stream.once('close', resolve)
    result.stream.once('error', reject)
  })
}

// Worker i makes days i, i + n, i + 2n...: each worker's pool of fake visitors differs, which no
// reader can tell, since a visitor's hash changes with every day's salt anyway.
const DAYS_MODULE = new URL('./lib/demo-days.ts', import.meta.url).href
const queue: Array<{ chunk: Chunk; worker: Worker }> = []
let wake: (() => void) | undefined
let running = workerCount
let failure: Error | undefined
const workers = Array.from({ length: workerCount }, (_, index) => {
  const input: WorkerInput = {
    site: values.site ?? 'demo',
    origin: values.origin ?? 'https://shop.example',
    visitors: positive('visitors'),
    seed: positive('seed') + index,
    chunk: chunkRows,
    liveRows,
    days: spans.filter((_, day) => day % workerCount === index),
  }
  // Node 20 does not hand `--import tsx` to a worker's entry file, so the thread starts from a
  // line of JavaScript that imports the TypeScript module through tsx.
  const worker = new Worker(
    `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(DAYS_MODULE)}, ${JSON.stringify(import.meta.url)}))`,
    // A larger young generation: the pipeline makes many short-lived objects per event, and
    // fewer scavenges cost about a tenth less CPU per event.
    { eval: true, workerData: input, resourceLimits: { maxYoungGenerationSizeMb: 64 } },
  )
  worker.on('message', (message: WorkerMessage) => {
    if (message.kind === 'done') running--
    else queue.push({ chunk: message, worker })
    wake?.()
  })
  worker.on('error', (error) => {
    failure = error
    wake?.()
  })
  // Two chunks ahead: one being inserted, one ready.
  worker.postMessage({ credit: 2 } satisfies Credit)
  return worker
})

while (running > 0 || queue.length > 0) {
  if (failure) throw failure
  const next = queue.shift()
  if (!next) {
    await new Promise<void>((resolve) => {
      wake = resolve
    })
    continue
  }
  const { chunk, worker } = next
  generateMs += chunk.generateMs
  for (const [type, count] of Object.entries(chunk.byType)) byType[type] = (byType[type] ?? 0) + count
  if (chunk.format === 'JSONEachRow') {
    liveText.push(chunk.text)
  } else {
    const started = performance.now()
    await insertTabSeparated(warehouse, chunk.text)
    bulkMs += performance.now() - started
    bulkRows += chunk.rows
    bulkInserts++
  }
  worker.postMessage({ credit: 1 } satisfies Credit)
  if (performance.now() - lastReport > 5000) {
    lastReport = performance.now()
    process.stderr.write(
      `  ingest: ${bulkRows.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events, ${((lastReport - began) / 1000).toFixed(0)} s, bulk inserts at ${Math.round(bulkRows / (bulkMs / 1000)).toLocaleString('en-US')} rows/s\n`,
    )
  }
}
await Promise.all(workers.map((worker) => worker.terminate()))

// The collector's batches: its own insert path, batch ids as its write-ahead log makes them.
const path = await prepareInsertPath(warehouse)
const lines = liveText.join('').split('\n').filter(Boolean)
const batchId = () => Array.from({ length: 32 }, () => 'abcdefghijklmnop'[randomInt(16)]).join('')
let liveMs = 0
let liveBatches = 0
for (let i = 0; i < lines.length; i += liveBatch) {
  const body = Buffer.from(`${lines.slice(i, i + liveBatch).join('\n')}\n`)
  const started = performance.now()
  await insertBatch(warehouse, path, { id: batchId(), body })
  liveMs += performance.now() - started
  liveBatches++
}
const wallSeconds = (performance.now() - began) / 1000

await warehouse.close()
const figures: IngestFigures = {
  events: bulkRows + lines.length,
  days,
  workers: workerCount,
  generateSeconds: generateMs / 1000,
  bulk: {
    rows: bulkRows,
    inserts: bulkInserts,
    chunkRows,
    format: 'TabSeparated',
    seconds: bulkMs / 1000,
    rowsPerSecond: bulkMs > 0 ? bulkRows / (bulkMs / 1000) : 0,
  },
  live: {
    rows: lines.length,
    batches: liveBatches,
    batchSize: liveBatch,
    format: 'JSONEachRow',
    seconds: liveMs / 1000,
    rowsPerSecond: liveMs > 0 ? lines.length / (liveMs / 1000) : 0,
  },
  wallSeconds,
  byType,
}
process.stdout.write(`${JSON.stringify(figures)}\n`)
process.exit(0)
