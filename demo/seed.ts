import { trueConversion, VARIANTS, type Variant } from './model/offer-truth.ts'
import { createRandom, type Random } from './model/random.js'
import { visitsInHour } from './model/traffic.ts'
import { createVisit, type Visit } from './model/visit.ts'

/**
 * Sends weeks of synthetic storefront traffic through the collector's own HTTP handler
 * (`POST /api/event`, the privacy pipeline, the write-ahead log, the batcher), hour by hour, with
 * the collector's clock set to each hour in turn. That is the only way to give a new warehouse a
 * history: the collector stamps events with its own clock and ignores the sender's.
 */

/** Posts one request to `/api/event`, stamped (by the collector's injected clock) at `at`. */
export type Post = (headers: Record<string, string>, body: string, at: Date) => Promise<Response>

export type SeedOptions = {
  post: Post
  site: string
  /** The shop's origin: page URLs and the `Origin` header (must be configured in SITES). */
  origin: string
  /** First and last hour of traffic (the last one is sent at `until` itself). */
  from: Date
  until: Date
  perDay: number
  seed?: number
  /**
   * Requests in flight at once. The write-ahead log makes concurrent requests durable together
   * (one fsync per group), so a deep queue is what makes weeks of history take seconds.
   */
  concurrency?: number
  onProgress?: (progress: SeedProgress) => void
}

export type SeedProgress = { share: number; visits: number; events: number; at: Date }

/** What was sent, and the offer test's truth per fine cell, to check the insights against. */
export type DayTruth = {
  visits: number
  pageviews: number
  bounces: number
  engagedMs: number
  buyers: number
  revenue: number
}

export type SeedReport = {
  visits: number
  events: number
  optedOut: number
  ms: number
  /**
   * The visits recorded (not opted out): how many, how many saw one page, their engaged time, and
   * the distinct visitors of each UTC day (every visit comes from an address of its own).
   */
  truth: {
    visits: number
    bounces: number
    engagedMs: number
    visitorsByDay: Map<string, number>
    /** Per UTC day, what the overview's cards count (every visit is a visitor of its own). */
    cardsByDay: Map<string, DayTruth>
  }
  /** Impressions per variant in each cell (device|country|source|category) by day. */
  cells: Map<
    string,
    {
      device: string
      country: string
      source: string
      category: string
      days: Map<string, Record<Variant, number>>
    }
  >
}

const HOUR = 3_600_000

export async function seedHistory(options: SeedOptions): Promise<SeedReport> {
  const started = performance.now()
  const seed = options.seed ?? 20_261_125
  const first = Math.floor(options.from.getTime() / HOUR) * HOUR
  const last = Math.floor(options.until.getTime() / HOUR) * HOUR
  const totalHours = Math.max(1, (last - first) / HOUR + 1)
  // How many visits each hour gets, drawn first, so the total is known for the progress bar.
  const volume = createRandom(seed)
  const hours = Array.from({ length: totalHours }, (_, hour) => {
    const start = first + hour * HOUR
    const dayIndex = Math.floor((start - first) / 86_400_000)
    // The last hour is the current one: stamped with the present, not the hour's middle.
    const at = new Date(Math.min(start + HOUR / 2, options.until.getTime()))
    return {
      at,
      visits: visitsInHour({ at: new Date(start), dayIndex, perDay: options.perDay, random: volume }),
    }
  })
  const total = hours.reduce((sum, hour) => sum + hour.visits, 0)
  const random = createRandom(seed + 1)
  const report: SeedReport = {
    visits: 0,
    events: 0,
    optedOut: 0,
    ms: 0,
    truth: { visits: 0, bounces: 0, engagedMs: 0, visitorsByDay: new Map(), cardsByDay: new Map() },
    cells: new Map(),
  }
  let address = 0
  let done = 0
  let lastReported = 0

  // Visits are made lazily, in time order, and sent by a pool of workers.
  function* visits() {
    for (const hour of hours) {
      for (let i = 0; i < hour.visits; i++) {
        yield {
          at: hour.at,
          visit: createVisit({
            random,
            origin: options.origin,
            site: options.site,
            ip: nextAddress(address++),
          }),
        }
      }
    }
  }
  const queue = visits()
  const worker = async () => {
    for (let next = queue.next(); !next.done; next = queue.next()) {
      const { at, visit } = next.value
      if (visit.events.length > 0) await record(at, visit)
      done++
      if (options.onProgress && (done - lastReported >= 200 || done === total)) {
        lastReported = done
        options.onProgress({
          share: done / Math.max(1, total),
          visits: report.visits,
          events: report.events,
          at,
        })
      }
    }
  }
  const record = async (at: Date, visit: Visit) => {
    const status = await send(options.post, visit.headers, visit.events, at)
    report.visits++
    if (status === 204) {
      report.optedOut++
      return
    }
    report.events += visit.events.length
    report.truth.visits++
    const visitDay = at.toISOString().slice(0, 10)
    report.truth.visitorsByDay.set(visitDay, (report.truth.visitorsByDay.get(visitDay) ?? 0) + 1)
    if (visit.truth.pages === 1) report.truth.bounces++
    report.truth.engagedMs += visit.truth.engagedMs
    const cards = report.truth.cardsByDay.get(visitDay) ?? {
      visits: 0,
      pageviews: 0,
      bounces: 0,
      engagedMs: 0,
      buyers: 0,
      revenue: 0,
    }
    const purchases = visit.events.filter((event) => event.type === 'purchase')
    cards.visits++
    cards.bounces += visit.truth.pages === 1 ? 1 : 0
    cards.engagedMs += visit.truth.engagedMs
    cards.pageviews += visit.events.filter((event) => event.type === 'pageview').length
    cards.buyers += purchases.length > 0 ? 1 : 0
    cards.revenue += purchases.reduce(
      (sum, event) => sum + Number((event.order as { revenue?: number })?.revenue ?? 0),
      0,
    )
    report.truth.cardsByDay.set(visitDay, cards)
    if (!visit.offer) return
    const category = categoryOfInterest(visit.events)
    const key = [visit.device, visit.country, visit.offer.source, category].join('|')
    const cell = report.cells.get(key) ?? {
      device: visit.device,
      country: visit.country,
      source: visit.offer.source,
      category,
      days: new Map(),
    }
    const day = at.toISOString().slice(0, 10)
    const counts = cell.days.get(day) ?? { control: 0, 'free-shipping': 0, 'ten-off': 0 }
    counts[visit.offer.variant]++
    cell.days.set(day, counts)
    report.cells.set(key, cell)
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 1024 }, worker))
  report.ms = performance.now() - started
  return report
}

/** One request per visit, as a tab's beacon queue flushed at once; retried while the buffer is full. */
async function send(
  post: Post,
  headers: Record<string, string>,
  events: Record<string, unknown>[],
  at: Date,
): Promise<number> {
  const body = JSON.stringify({ events: events.slice(0, 50) })
  for (let attempt = 0; ; attempt++) {
    const response = await post(headers, body, at)
    if (response.status === 202 || response.status === 204) return response.status
    const text = await response.text()
    if ((response.status === 503 || response.status === 429) && attempt < 100) {
      await new Promise((resolve) => setTimeout(resolve, 50 + attempt * 20))
      continue
    }
    throw new Error(`the collector answered ${response.status}: ${text}`)
  }
}

/** A distinct address per visitor, from the shared address space (100.64.0.0/10), never a real one. */
const nextAddress = (n: number) => `100.${64 + ((n >>> 16) & 63)}.${(n >>> 8) & 255}.${n & 255}`

/** The category the collector files an offer impression under: its `prev` product's. */
function categoryOfInterest(events: Record<string, unknown>[]): string {
  const impression = events.find((event) => event.type === 'offer_impression') as
    | { prev?: { product?: { category?: string } } }
    | undefined
  return impression?.prev?.product?.category ?? ''
}

export type SegmentDims = { device: string; country: string; source: string; category: string }

/**
 * The truly best variant for a segment as the insights job defines it (`*` pools every value): the
 * variant with the highest expected conversion over the segment's impressions in the window.
 */
export function trueBestFor(
  segment: SegmentDims,
  report: SeedReport,
  window: { from: string; to: string },
): Variant {
  const expected: Record<Variant, number> = { control: 0, 'free-shipping': 0, 'ten-off': 0 }
  const matches = (value: string, wanted: string) => wanted === '*' || value === wanted
  for (const cell of report.cells.values()) {
    if (
      !(['device', 'country', 'source', 'category'] as const).every((dim) => matches(cell[dim], segment[dim]))
    )
      continue
    for (const [day, counts] of cell.days) {
      if (day < window.from || day > window.to) continue
      const shown = counts.control + counts['free-shipping'] + counts['ten-off']
      for (const variant of VARIANTS)
        expected[variant] += shown * trueConversion(variant, cell.device, cell.source, cell.country)
    }
  }
  return VARIANTS.reduce(
    (best, variant) => (expected[variant] > expected[best] ? variant : best),
    VARIANTS[0] as Variant,
  )
}

export { createRandom, type Random }
