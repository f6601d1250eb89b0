import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { AppError, zodErrorBody } from '../../core/errors.ts'
import { Event, EventBatch } from '../../schemas/events.ts'
import { clientIp } from '../client-ip.ts'
import type { ContributionBound } from '../contribution-bound.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type Dropped, type RequestFacts, screenRequest } from '../pipeline.ts'
import type { RateLimiter } from '../rate-limit.ts'
import type { Batcher } from '../write-buffer/batcher.ts'

export const MAX_BODY_BYTES = 64 * 1024

export type EventRouteDeps = {
  processEvent: ReturnType<typeof import('../pipeline.ts').createEventPipeline>
  /** The visitor-day contribution bound (../contribution-bound.ts); none: every event is kept. */
  bound?: ContributionBound
  saltFor: (now: Date) => Promise<Uint8Array>
  batcher: Batcher
  allowedOrigins: ReadonlySet<string>
  trustProxy: boolean
  now: () => Date
  /** Remote address of the socket, from the server adapter (asked only when no trusted header names the client). */
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

/**
 * `POST /api/event`: one event or `{ "events": [...] }`, as JSON or as the `text/plain` that
 * `navigator.sendBeacon` sends. 202 once the events are in the write-ahead log (`WAL_FSYNC_MS`),
 * 204 dropped by policy, 400 naming the bad field, 408 a body slower than the request timeout,
 * 413 too large, 415 other content types, 429 over the client's rate limit, 503 + Retry-After
 * when the write-ahead log is full or cannot be written.
 */
export function eventRoutes(deps: EventRouteDeps): Hono {
  const app = new Hono()
  const corsOptions = {
    origin: (origin: string) => (deps.allowedOrigins.has(origin) ? origin : null),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    maxAge: 86_400,
  }
  app.options('/api/event', cors(corsOptions))
  const answers = responseHeaders(deps.allowedOrigins)
  app.post(
    '/api/event',
    limitBody({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        setHeaders(c, answers(c.req.header('origin')).json)
        c.header('Connection', 'close')
        throw new AppError(413, 'too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`)
      },
    }),
    async (c) => {
      const headers: HeaderReader = c.req.raw.headers
      // The 202 and 204 carry their headers in a plain object, the server adapter's cheapest way to
      // write them; a refusal puts them on the context, where the error handler's answer finds them.
      const origin = headers.get('origin') ?? undefined
      const answer = answers(origin)
      try {
        return await accept(c, headers, origin, answer)
      } catch (error) {
        setHeaders(c, answer.json)
        throw error
      }
    },
  )
  return app

  async function accept(
    c: Context,
    headers: HeaderReader,
    origin: string | undefined,
    answer: Answers,
  ): Promise<Response> {
    const request: RequestFacts = {
      headers,
      ip: clientIp(() => deps.remoteAddress(c), headers, deps.trustProxy),
      userAgent: headers.get('user-agent') ?? '',
      origin,
      now: deps.now(),
    }
    // Opt-out and bots are decided on headers alone, before anything of the body is read.
    const screened = screenRequest(request)
    if (screened) {
      deps.count.dropped(screened.drop, 1)
      return new Response(null, { status: 204, headers: bodyUnread(c) ? answer.emptyClose : answer.empty })
    }
    // Every request costs its client one event before its body is read, the rest once counted.
    const limiter = deps.rateLimiter
    if (limiter && !limiter.take(request.ip, 1)) return tooMany(c, answer, limiter.retryAfter(request.ip, 1))

    const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/json' && type !== 'text/plain') {
      if (bodyUnread(c)) c.header('Connection', 'close')
      throw new AppError(415, 'unsupported_media_type', 'send application/json or text/plain')
    }
    const text = await readBody(c.req.raw, deps.requestTimeoutMs)
    if (text === undefined) {
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
      deps.count.dropped('invalid', 1)
      setHeaders(c, answer.json)
      return c.json(zodErrorBody(parsed.error), 400)
    }
    const events = 'events' in parsed.data ? parsed.data.events : [parsed.data]
    if (limiter && events.length > 1 && !limiter.take(request.ip, events.length - 1)) {
      return tooMany(c, answer, limiter.retryAfter(request.ip, events.length - 1))
    }
    deps.count.received(events.length)

    let salt: Uint8Array
    try {
      salt = await deps.saltFor(request.now)
    } catch {
      // Today's salt lives in the warehouse; without it no visitor can be hashed. Nothing is
      // accepted, so the sender keeps the events and tries again.
      deps.count.refused?.('unavailable', events.length)
      c.header('Retry-After', '30')
      throw new AppError(503, 'unavailable', 'the warehouse is unreachable; retry later')
    }
    const rows = []
    for (const [index, event] of events.entries()) {
      const result = deps.processEvent(event, request, salt)
      if ('drop' in result) {
        deps.count.dropped(result.drop, events.length)
        const field = isBatch ? `events.${index}.${result.field ?? 'url'}` : (result.field ?? 'url')
        // Nothing of a batch is kept when one event is refused: the sender fixes and resends.
        throw new AppError(result.drop === 'origin' ? 403 : 400, result.drop, refusal(result.drop), field)
      }
      rows.push(result)
    }
    // Past a visitor-day's contribution bound, events are dropped (and counted), not refused: the
    // sender has done nothing wrong and must not retry them.
    const bounded = deps.bound ? deps.bound.admit(rows) : { kept: rows, dropped: 0 }
    if (bounded.dropped > 0) deps.count.dropped('contribution_bound', bounded.dropped)
    if (bounded.kept.length === 0) {
      return new Response('{"accepted":0}', { status: 202, headers: answer.json })
    }
    const offered = await deps.batcher.offer(bounded.kept)
    if (!offered.ok) {
      const reason = offered.reason === 'full' ? 'overloaded' : 'unavailable'
      deps.count.dropped(reason, bounded.kept.length)
      c.header('Retry-After', String(offered.retryAfter))
      throw new AppError(
        503,
        reason,
        offered.reason === 'full'
          ? 'the collector holds as many events as it may (SPOOL_MAX_MB); retry later'
          : 'the collector cannot store events right now; retry later',
      )
    }
    deps.count.accepted(bounded.kept.length)
    return new Response(`{"accepted":${bounded.kept.length}}`, { status: 202, headers: answer.json })
  }

  function tooMany(c: Context, answer: Answers, retryAfter: number) {
    deps.count.refused?.('rate_limited', 1)
    setHeaders(c, answer.json)
    c.header('Retry-After', String(retryAfter))
    if (bodyUnread(c)) c.header('Connection', 'close')
    return c.json({ error: 'rate_limited', message: 'too many events from this client; slow down' }, 429)
  }
}

/**
 * Whether the route answers without having read a body the client sent (a refusal). Such an
 * answer says `Connection: close`: the rest of the body is drained and the connection ended,
 * rather than kept alive and cut by the drain's time limit just as the client sends its next
 * request on it. The rule of the app-wide `closeWhenBodyUnread`, which this route comes before.
 */
function bodyUnread(c: Context): boolean {
  const headers = c.req.raw.headers
  if (c.req.raw.bodyUsed) return false
  return Number(headers.get('content-length') ?? 0) > 0 || headers.has('transfer-encoding')
}

type Answers = {
  /** Headers of an answer with a JSON body: CORS for the request's origin and `nosniff`. */
  json: Record<string, string>
  /** Headers of an answer without a body, and of one that also closes the connection. */
  empty: Record<string, string>
  emptyClose: Record<string, string>
}

/** The response headers for each configured origin, built once; one set for any other origin. */
function responseHeaders(allowedOrigins: ReadonlySet<string>): (origin: string | undefined) => Answers {
  const build = (allowed: string | undefined): Answers => {
    const common = {
      ...(allowed ? { 'Access-Control-Allow-Origin': allowed } : {}),
      Vary: 'Origin',
      'X-Content-Type-Options': 'nosniff',
    }
    return {
      json: { ...common, 'Content-Type': 'application/json' },
      empty: common,
      emptyClose: { ...common, Connection: 'close' },
    }
  }
  const byOrigin = new Map([...allowedOrigins].map((origin) => [origin, build(origin)]))
  const other = build(undefined)
  return (origin) => (origin === undefined ? other : (byOrigin.get(origin) ?? other))
}

function setHeaders(c: Context, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) c.header(name, value)
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
