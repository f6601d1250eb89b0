import { randomBytes } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { clientIp } from '../../collector/client-ip.ts'
import { createCountryLookup, createUaClassifier } from '../../collector/coarsen.ts'
import { headerRecord } from '../../collector/opt-out.ts'
import { createEventPipeline } from '../../collector/pipeline.ts'
import { createTraffic } from '../../demo/model/requests.js'
import { Event } from '../../schemas/events.ts'
import type { EventRow } from '../../schemas/row.ts'
import { tabSeparated } from './tab-separated.ts'

/**
 * A worker thread of `load/ingest-demo.ts`: makes the demo traffic of the days it is given, one
 * day at a time, each event through the real privacy pipeline under that day's salt, and hands
 * the rows back as insert bodies. Running the pipeline is most of the cost of a demo event, so
 * the days are shared among threads while the main thread inserts.
 *
 * A day's rows are sent in chunks of `chunk` rows as TabSeparated text (the bulk load); the
 * first `liveRows` rows of the day flagged `live` are sent instead as JSONEachRow lines sorted by
 * hour, the shape of the collector's own batches, for the main thread to insert as it does.
 * The main thread grants `credit`: a worker stops after as many chunks as it was granted, so a
 * slow warehouse does not let the generated text pile up in memory.
 */

export type DaySpan = {
  /** `YYYY-MM-DD`. */
  day: string
  /** Epoch milliseconds: the part of the day inside the demo period. */
  start: number
  end: number
  events: number
  live: boolean
}

export type WorkerInput = {
  site: string
  origin: string
  visitors: number
  seed: number
  chunk: number
  liveRows: number
  days: DaySpan[]
}

export type Chunk = {
  kind: 'chunk'
  day: string
  format: 'TabSeparated' | 'JSONEachRow'
  rows: number
  text: string
  /** Milliseconds this thread spent making the chunk: pipeline and serialization. */
  generateMs: number
  byType: Record<string, number>
}

export type WorkerMessage = Chunk | { kind: 'done' }

/** The main thread's message: this many more chunks may be sent. */
export type Credit = { credit: number }

// Busier in the day than at night (UTC, for a European shop): an hour's weight is 1 at 03:00, 6 at 19:00.
const hourWeight = (hour: number) => 1 + 5 * Math.max(0, Math.sin(((hour - 7) / 24) * 2 * Math.PI) ** 2)

function generateDays(input: WorkerInput, port: NonNullable<typeof parentPort>): void {
  const lookupCountry = createCountryLookup({ trustProxy: true })
  // The scenario never sends a proxy's country header, so a visitor's country depends on its IP
  // alone; the demo's 200,000 IPs are looked up once each instead of once per event.
  const countries = new Map<string, string>()
  const processEvent = createEventPipeline({
    sites: new Map([[input.site, [input.origin]]]),
    queryParams: new Map(),
    classifyUa: createUaClassifier(),
    lookupCountry: (ip, headers) => {
      let country = countries.get(ip)
      if (country === undefined) {
        country = lookupCountry(ip, headers)
        countries.set(ip, country)
      }
      return country
    },
  })
  const traffic = createTraffic({
    site: input.site,
    origin: input.origin,
    visitors: input.visitors,
    seed: input.seed,
  })

  let credit = 0
  let resume: (() => void) | undefined
  port.on('message', (message: Credit) => {
    credit += message.credit
    resume?.()
  })
  const granted = () =>
    credit > 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          resume = resolve
        })

  const eventAt = (span: DaySpan): Date => {
    for (;;) {
      const at = new Date(span.start + Math.random() * (span.end - span.start))
      if (Math.random() * 6 < hourWeight(at.getUTCHours())) return at
    }
  }

  const makeRows = (span: DaySpan, salt: Uint8Array, count: number, byType: Record<string, number>) => {
    const rows: EventRow[] = []
    while (rows.length < count) {
      const visit = traffic.next()
      const headers = headerRecord(visit.headers)
      const row = processEvent(
        Event.parse(visit.event),
        {
          headers,
          ip: clientIp('127.0.0.1', headers, true),
          userAgent: visit.headers['user-agent'] ?? '',
          origin: visit.headers.origin,
          now: eventAt(span),
        },
        salt,
      )
      if ('drop' in row) throw new Error(`the pipeline dropped a demo event (${row.drop}): ${visit.body}`)
      rows.push(row)
      byType[row.type] = (byType[row.type] ?? 0) + 1
    }
    return rows
  }

  const send = async (chunk: Chunk) => {
    await granted()
    credit--
    port.postMessage(chunk)
  }

  /** Makes `count` rows of the day, encodes them, and sends them with the time that took. */
  const produce = async (
    span: DaySpan,
    salt: Uint8Array,
    count: number,
    format: Chunk['format'],
    encode: (rows: EventRow[]) => string,
  ): Promise<number> => {
    const started = performance.now()
    const byType: Record<string, number> = {}
    const rows = makeRows(span, salt, count, byType)
    const text = encode(rows)
    const generateMs = performance.now() - started
    await send({ kind: 'chunk', day: span.day, format, rows: rows.length, text, generateMs, byType })
    return rows.length
  }

  const run = async () => {
    for (const span of input.days) {
      // One salt per day, as the collector has: a visitor is one hash within the day only.
      const salt = randomBytes(32)
      let left = span.events
      if (span.live && input.liveRows > 0) {
        // The collector's own batch shape: JSON lines in time order.
        left -= await produce(span, salt, Math.min(input.liveRows, left), 'JSONEachRow', (rows) =>
          rows
            .sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0))
            .map((row) => `${JSON.stringify(row)}\n`)
            .join(''),
        )
      }
      while (left > 0)
        left -= await produce(span, salt, Math.min(input.chunk, left), 'TabSeparated', tabSeparated)
    }
    port.postMessage({ kind: 'done' } satisfies WorkerMessage)
  }
  // A failure rejects unhandled, which ends the thread with an 'error' event in the main thread.
  void run()
}

if (parentPort) generateDays(workerData as WorkerInput, parentPort)
