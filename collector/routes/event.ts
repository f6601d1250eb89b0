import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { Event, EventBatch } from '../../schemas/events.ts'
import { AppError, zodErrorBody } from '../../server/errors.ts'
import type { Batcher } from '../batcher.ts'
import { clientIp } from '../client-ip.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type Dropped, type RequestFacts, screenRequest } from '../pipeline.ts'
import type { RateLimiter } from '../rate-limit.ts'

export const MAX_BODY_BYTES = 64 * 1024

export type EventRouteDeps = {
  processEvent: ReturnType<typeof import('../pipeline.ts').createEventPipeline>
  saltFor: (now: Date) => Promise<Uint8Array>
  batcher: Batcher
  allowedOrigins: ReadonlySet<string>
  trustProxy: boolean
  now: () => Date
  /** Remote address of the socket, from the server adapter. */
  remoteAddress: (c: import('hono').Context) => string | undefined
  /** `RATE_LIMIT`: events per minute per client; absent when off. */
  rateLimiter?: RateLimiter | undefined
  /** The body must have arrived within this many ms of the request's start, or the answer is 408. */
  requestTimeoutMs?: number
  count: {
    received: (n: number) => void
    accepted: (n: number) => void
    dropped: (reason: Dropped['drop'], n: number) => void
    /** Requests refused before their events were looked at: rate limit, slow body, no salt. */
    refused?: (reason: 'rate_limited' | 'timeout' | 'unavailable', n: number) => void
  }
}

type Env = { Variables: { dropReason?: string } }

/**
 * `POST /api/event`: one event or `{ "events": [...] }`, as JSON or as the `text/plain` that
 * `navigator.sendBeacon` sends. 202 once the events are durable (write-ahead log fsynced),
 * 204 dropped by policy, 400 naming the bad field, 408 a body slower than the request timeout,
 * 413 too large, 415 other content types, 429 over the client's rate limit, 503 + Retry-After
 * when the write-ahead log is full or cannot be written.
 */
export function eventRoutes(deps: EventRouteDeps): Hono<Env> {
  const app = new Hono<Env>()
  app.use(
    '/api/event',
    corsHeaders({
      origin: (origin) => (deps.allowedOrigins.has(origin) ? origin : null),
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Content-Type'],
      maxAge: 86_400,
    }),
  )
  app.post(
    '/api/event',
    limitBody({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(413, 'too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`)
      },
    }),
    async (c) => {
      const headers: HeaderReader = c.req.raw.headers
      const request: RequestFacts = {
        headers,
        ip: clientIp(deps.remoteAddress(c), headers, deps.trustProxy),
        userAgent: headers.get('user-agent') ?? '',
        origin: headers.get('origin') ?? undefined,
        now: deps.now(),
      }
      // Opt-out and bots are decided on headers alone, before anything of the body is read.
      const screened = screenRequest(request)
      if (screened) {
        c.set('dropReason', screened.drop)
        deps.count.dropped(screened.drop, 1)
        return c.body(null, 204)
      }
      // Every request costs its client one event before its body is read, the rest once counted.
      const limiter = deps.rateLimiter
      if (limiter && !limiter.take(request.ip, 1)) return tooMany(c, limiter.retryAfter(request.ip, 1))

      const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
      if (type !== 'application/json' && type !== 'text/plain') {
        throw new AppError(415, 'unsupported_media_type', 'send application/json or text/plain')
      }
      const text = await readBody(c.req.raw, deps.requestTimeoutMs)
      if (text === undefined) {
        c.set('dropReason', 'timeout')
        deps.count.refused?.('timeout', 1)
        c.header('Connection', 'close')
        throw new AppError(408, 'timeout', 'the body did not arrive in time')
      }
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        deps.count.dropped('invalid', 1)
        throw new AppError(400, 'invalid_json', 'the body is not valid JSON', 'body')
      }

      const isBatch = typeof body === 'object' && body !== null && 'events' in body
      const parsed = isBatch ? EventBatch.safeParse(body) : Event.safeParse(body)
      if (!parsed.success) {
        c.set('dropReason', 'invalid')
        deps.count.dropped('invalid', 1)
        return c.json(zodErrorBody(parsed.error), 400)
      }
      const events = 'events' in parsed.data ? parsed.data.events : [parsed.data]
      if (limiter && events.length > 1 && !limiter.take(request.ip, events.length - 1)) {
        return tooMany(c, limiter.retryAfter(request.ip, events.length - 1))
      }
      deps.count.received(events.length)

      let salt: Uint8Array
      try {
        salt = await deps.saltFor(request.now)
      } catch {
        // Today's salt lives in the warehouse; without it no visitor can be hashed. Nothing is
        // accepted, so the sender keeps the events and tries again.
        c.set('dropReason', 'unavailable')
        deps.count.refused?.('unavailable', events.length)
        c.header('Retry-After', '30')
        throw new AppError(503, 'unavailable', 'the warehouse is unreachable; retry later')
      }
      const rows = []
      for (const [index, event] of events.entries()) {
        const result = deps.processEvent(event, request, salt)
        if ('drop' in result) {
          deps.count.dropped(result.drop, events.length)
          c.set('dropReason', result.drop)
          const field = isBatch ? `events.${index}.${result.field ?? 'url'}` : (result.field ?? 'url')
          // Nothing of a batch is kept when one event is refused: the sender fixes and resends.
          throw new AppError(result.drop === 'origin' ? 403 : 400, result.drop, refusal(result.drop), field)
        }
        rows.push(result)
      }
      const offered = await deps.batcher.offer(rows)
      if (!offered.ok) {
        const reason = offered.reason === 'full' ? 'overloaded' : 'unavailable'
        deps.count.dropped(reason, rows.length)
        c.set('dropReason', reason)
        c.header('Retry-After', String(offered.retryAfter))
        throw new AppError(
          503,
          reason,
          offered.reason === 'full'
            ? 'the collector holds as many events as it may (SPOOL_MAX_MB); retry later'
            : 'the collector cannot store events right now; retry later',
        )
      }
      deps.count.accepted(rows.length)
      return c.json({ accepted: rows.length }, 202)
    },
  )
  return app

  function tooMany(c: import('hono').Context<Env>, retryAfter: number) {
    c.set('dropReason', 'rate_limited')
    deps.count.refused?.('rate_limited', 1)
    c.header('Retry-After', String(retryAfter))
    return c.json({ error: 'rate_limited', message: 'too many events from this client; slow down' }, 429)
  }
}

type CorsOptions = Omit<NonNullable<Parameters<typeof cors>[0]>, 'origin'> & {
  origin: (origin: string) => string | null
}

/**
 * `cors()` for preflights. Any other request gets its two headers set directly: `cors()` would
 * build a Response before the handler runs and rebuild the final one to append `Vary`, which
 * costs more than the whole privacy pipeline.
 */
function corsHeaders(options: CorsOptions): MiddlewareHandler {
  const preflight = cors(options)
  return (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    const allowed = options.origin(c.req.header('origin') ?? '')
    if (allowed) c.header('Access-Control-Allow-Origin', allowed)
    c.header('Vary', 'Origin')
    return next()
  }
}

/**
 * `bodyLimit()`, skipped for a body that declares a length within the limit (Node's parser never
 * passes on more than declared). `bodyLimit` reads `c.req.raw.body`, which turns the server
 * adapter's lightweight request into a WHATWG Request with a web stream: the costliest step of
 * the route. A chunked body, or one declared too large, still goes through it.
 */
function limitBody(options: Parameters<typeof bodyLimit>[0]): MiddlewareHandler {
  const limit = bodyLimit(options)
  return (c, next) => {
    const length = c.req.header('content-length')
    const declared = c.req.header('transfer-encoding') === undefined && length !== undefined
    return declared && Number(length) <= options.maxSize ? next() : limit(c, next)
  }
}

/**
 * The body as text, or undefined when it has not fully arrived `timeoutMs` after the request
 * began (a slow sender holding a connection open). Invalid UTF-8 becomes U+FFFD, as in `text()`.
 */
async function readBody(request: Request, timeoutMs: number | undefined): Promise<string | undefined> {
  if (!timeoutMs) return request.text()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs)
  })
  const reading = request.text()
  try {
    const text = await Promise.race([reading, late])
    if (text === undefined) reading.catch(() => {})
    return text
  } finally {
    clearTimeout(timer)
  }
}

const refusal = (drop: Dropped['drop']): string =>
  ({
    unknown_site: 'this site is not configured on the collector (SITES)',
    origin: 'this origin is not configured for the site (SITES)',
    bad_url: 'the url could not be parsed',
  })[drop as string] ?? 'refused'
