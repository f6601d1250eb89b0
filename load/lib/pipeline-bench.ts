import { randomBytes } from 'node:crypto'
import UAParser from 'ua-parser-js'
import { clientIp } from '../../collector/client-ip.ts'
import { classifyParsed, createCountryLookup, createUaClassifier } from '../../collector/coarsen.ts'
import { createEventPipeline, type RequestFacts, screenRequest } from '../../collector/pipeline.ts'
import { referrerHost, scrubUrl } from '../../collector/scrub.ts'
import { visitorHash } from '../../collector/visitor-hash.ts'
import { trafficPool, type Visit } from '../../demo/model/requests.js'
import { Event } from '../../schemas/events.ts'
import type { EventRow } from '../../schemas/row.ts'

/**
 * The privacy pipeline without HTTP: what the collector does with one request's headers and body,
 * stage by stage, over the realistic mix. Each stage runs over the whole pool on its own so the
 * timer's cost does not enter the figures; `total` runs them together, as the route does. Each
 * figure is the fastest of `rounds` passes.
 */

export type StageTiming = { name: string; microsPerEvent: number }
export type PipelineBench = {
  events: number
  /** Distinct user agents in the pool: what the caches keyed by user agent hold. */
  distinctUserAgents: number
  rounds: number
  totalMicrosPerEvent: number
  stages: StageTiming[]
}

const NO_PARAMS: ReadonlySet<string> = new Set()

type Prepared = { visit: Visit; headers: Headers; request: RequestFacts; event: Event; json: unknown }

export function benchPipeline(
  options: { events?: number; rounds?: number; site?: string; origin?: string } = {},
) {
  const events = options.events ?? 20_000
  const rounds = options.rounds ?? 7
  const site = options.site ?? 'demo'
  const origin = options.origin ?? 'https://shop.example'
  const pool = trafficPool(events, { site, origin, seed: 7 })
  const now = new Date()
  const salt = randomBytes(32)
  const classifyUa = createUaClassifier()
  const lookupCountry = createCountryLookup({ trustProxy: true })
  const processEvent = createEventPipeline({
    sites: new Map([[site, [origin]]]),
    queryParams: new Map(),
    classifyUa,
    lookupCountry,
  })

  const prepared: Prepared[] = pool.map((visit) => {
    const headers = new Headers(visit.headers)
    const request: RequestFacts = {
      headers,
      ip: clientIp('127.0.0.1', headers, true),
      userAgent: headers.get('user-agent') ?? '',
      origin: headers.get('origin') ?? undefined,
      now,
    }
    const json: unknown = JSON.parse(visit.body)
    return { visit, headers, request, event: Event.parse(json), json }
  })

  // A sink the optimiser cannot see through.
  let sink = 0
  const use = (value: unknown) => {
    sink += value === undefined ? 0 : 1
  }

  const stages: Array<[string, (item: Prepared) => void]> = [
    ['request facts (client IP, headers)', (item) => use(clientIp('127.0.0.1', item.headers, true))],
    ['screen (opt-out, bots)', (item) => use(screenRequest(item.request))],
    ['JSON.parse body', (item) => use(JSON.parse(item.visit.body))],
    ['validate (zod Event)', (item) => use(Event.safeParse(item.json))],
    ['scrub page URL', (item) => use(scrubUrl(item.event.url, NO_PARAMS))],
    ['referrer host', (item) => use(referrerHost(item.event.referrer))],
    ['visitor hash (HMAC)', (item) => use(visitorHash(salt, site, item.request.ip, item.request.userAgent))],
    ['user agent (cached)', (item) => use(classifyUa(item.request.userAgent))],
    ['country (geoip)', (item) => use(lookupCountry(item.request.ip, item.headers))],
    ['processEvent (steps 4-7, whole)', (item) => use(processEvent(item.event, item.request, salt))],
    [
      'row to JSONEachRow line',
      (() => {
        const rows = new Map<Prepared, EventRow>()
        return (item: Prepared) => {
          let row = rows.get(item)
          if (!row) {
            row = processEvent(item.event, item.request, salt) as EventRow
            rows.set(item, row)
          }
          use(JSON.stringify(row))
        }
      })(),
    ],
  ]

  const total = (item: Prepared) => {
    const request: RequestFacts = {
      headers: item.headers,
      ip: clientIp('127.0.0.1', item.headers, true),
      userAgent: item.headers.get('user-agent') ?? '',
      origin: item.headers.get('origin') ?? undefined,
      now,
    }
    if (screenRequest(request)) return
    const parsed = Event.safeParse(JSON.parse(item.visit.body))
    if (!parsed.success) throw new Error(`the scenario produced an invalid event: ${item.visit.body}`)
    const row = processEvent(parsed.data, request, salt)
    if ('drop' in row)
      throw new Error(`the pipeline dropped a scenario event (${row.drop}): ${item.visit.body}`)
    use(JSON.stringify(row))
  }

  const time = (run: (item: Prepared) => void): number => {
    for (const item of prepared) run(item) // warm-up, and the UA cache fills as it would in a server
    const samples: number[] = []
    for (let round = 0; round < rounds; round++) {
      const started = process.hrtime.bigint()
      for (const item of prepared) run(item)
      samples.push(Number(process.hrtime.bigint() - started) / 1000 / prepared.length)
    }
    // The fastest round is the one least disturbed by other processes on the machine.
    return Math.min(...samples)
  }

  const result: PipelineBench = {
    events,
    distinctUserAgents: new Set(pool.map((visit) => visit.headers['user-agent'])).size,
    rounds,
    totalMicrosPerEvent: time(total),
    stages: stages.map(([name, run]) => ({ name, microsPerEvent: time(run) })),
  }
  // For scale: what the UA cache saves, one uncached parse per request.
  result.stages.push({
    name: 'user agent, uncached parse (for scale)',
    microsPerEvent: time((item) => use(classifyParsed(new UAParser(item.request.userAgent).getResult()))),
  })
  // Read once, so that no stage's work can be dropped as unused.
  if (sink === 0) throw new Error('the pipeline benchmark ran nothing')
  return result
}
