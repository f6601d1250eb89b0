import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { ZodError } from 'zod'
import { type ErrorBody, zodErrorBody } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { Event, EventBatch } from '../../schemas/events.ts'
import { clientIp } from '../client-ip.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type Dropped, type RequestFacts, screenRequest } from '../pipeline.ts'
import { type EventRouteDeps, MAX_BODY_BYTES } from './event.ts'

export type EventNodeDeps = Omit<EventRouteDeps, 'remoteAddress'> & { logger: Logger }

/** Answers `true` when it took the request; `false` leaves it to the app (Hono). */
export type NodeIngest = (request: IncomingMessage, response: ServerResponse) => boolean

/**
 * `POST /api/event` on `node:http` itself, ahead of the Hono app: the same steps, answers and
 * counters as routes/event.ts, without turning each request into a WHATWG Request and Response,
 * which cost the route more than its privacy pipeline. It takes only what it can decide on the
 * headers to be the common case: a POST to exactly `/api/event` with a declared length within the
 * limit and a JSON or text/plain body. Everything else (the CORS preflight, chunked or too large
 * bodies, other media types) goes to the Hono route, which answers it as it always has.
 */
export function eventNodeRoute(deps: EventNodeDeps): NodeIngest {
  const answers = responseHeaders(deps.allowedOrigins)

  return (request, response) => {
    if (request.method !== 'POST') return false
    const url = request.url ?? ''
    if (url !== '/api/event' && !url.startsWith('/api/event?')) return false
    const raw = request.headers
    const length = Number(raw['content-length'] ?? Number.NaN)
    if (raw['transfer-encoding'] !== undefined || !(length <= MAX_BODY_BYTES)) return false
    const type = mediaType(raw['content-type'])
    if (type !== 'application/json' && type !== 'text/plain') return false
    const headers = nodeHeaders(raw)
    const answer = answers(headers.get('origin') ?? undefined)
    accept(request, response, headers, answer, length > 0).catch((error: unknown) => {
      deps.logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'unhandled error')
      const requestId = crypto.randomUUID()
      if (!response.headersSent)
        send(response, 500, answer.json, { error: 'internal', message: 'internal error', requestId })
    })
    return true
  }

  async function accept(
    incoming: IncomingMessage,
    response: ServerResponse,
    headers: HeaderReader,
    answer: Answers,
    hasBody: boolean,
  ): Promise<void> {
    const request: RequestFacts = {
      headers,
      ip: clientIp(() => incoming.socket.remoteAddress, headers, deps.trustProxy),
      userAgent: headers.get('user-agent') ?? '',
      origin: headers.get('origin') ?? undefined,
      now: deps.now(),
    }
    // Opt-out and bots are decided on headers alone, before anything of the body is read; an
    // answer that leaves a body unread closes the connection (see routes/event.ts, bodyUnread).
    const screened = screenRequest(request)
    if (screened) {
      deps.count.dropped(screened.drop, 1)
      response.writeHead(204, hasBody ? answer.emptyClose : answer.empty)
      response.end()
      return
    }
    const limiter = deps.rateLimiter
    if (limiter && !limiter.take(request.ip, 1))
      return tooMany(response, answer, limiter.retryAfter(request.ip, 1), hasBody)

    const text = await readBody(incoming, deps.requestTimeoutMs)
    if (text === null) return // the client went away; nothing to answer
    if (text === undefined) {
      deps.count.refused?.('timeout', 1)
      return fail(response, answer, 408, 'timeout', 'the body did not arrive in time', undefined, {
        Connection: 'close',
      })
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      deps.count.dropped('invalid', 1)
      return fail(response, answer, 400, 'invalid_json', 'the body is not valid JSON', 'body')
    }

    const isBatch = typeof body === 'object' && body !== null && 'events' in body
    const parsed = isBatch ? EventBatch.safeParse(body) : Event.safeParse(body)
    if (!parsed.success) {
      deps.count.dropped('invalid', 1)
      return send(response, 400, answer.json, zodErrorBody(parsed.error as ZodError))
    }
    const events = 'events' in parsed.data ? parsed.data.events : [parsed.data]
    if (limiter && events.length > 1 && !limiter.take(request.ip, events.length - 1))
      return tooMany(response, answer, limiter.retryAfter(request.ip, events.length - 1), false)
    deps.count.received(events.length)

    let salt: Uint8Array
    try {
      salt = await deps.saltFor(request.now)
    } catch {
      deps.count.refused?.('unavailable', events.length)
      return fail(
        response,
        answer,
        503,
        'unavailable',
        'the warehouse is unreachable; retry later',
        undefined,
        {
          'Retry-After': '30',
        },
      )
    }
    const rows = []
    for (let index = 0; index < events.length; index++) {
      const result = deps.processEvent(events[index] as Event, request, salt)
      if ('drop' in result) {
        deps.count.dropped(result.drop, events.length)
        const field = isBatch ? `events.${index}.${result.field ?? 'url'}` : (result.field ?? 'url')
        // Nothing of a batch is kept when one event is refused: the sender fixes and resends.
        return fail(
          response,
          answer,
          result.drop === 'origin' ? 403 : 400,
          result.drop,
          refusal(result.drop),
          field,
        )
      }
      rows.push(result)
    }
    // Past a visitor-day's contribution bound, events are dropped (and counted), not refused: the
    // sender has done nothing wrong and must not retry them.
    const bounded = deps.bound ? deps.bound.admit(rows) : { kept: rows, dropped: 0 }
    if (bounded.dropped > 0) deps.count.dropped('contribution_bound', bounded.dropped)
    if (bounded.kept.length === 0) {
      response.writeHead(202, answer.json)
      response.end('{"accepted":0}')
      return
    }
    const offered = await deps.batcher.offer(bounded.kept)
    if (!offered.ok) {
      const reason = offered.reason === 'full' ? 'overloaded' : 'unavailable'
      deps.count.dropped(reason, bounded.kept.length)
      return fail(
        response,
        answer,
        503,
        reason,
        offered.reason === 'full'
          ? 'the collector holds as many events as it may (SPOOL_MAX_MB); retry later'
          : 'the collector cannot store events right now; retry later',
        undefined,
        { 'Retry-After': String(offered.retryAfter) },
      )
    }
    deps.count.accepted(bounded.kept.length)
    response.writeHead(202, answer.json)
    response.end(`{"accepted":${bounded.kept.length}}`)
  }

  function tooMany(response: ServerResponse, answer: Answers, retryAfter: number, bodyUnread: boolean) {
    deps.count.refused?.('rate_limited', 1)
    send(
      response,
      429,
      { ...answer.json, 'Retry-After': String(retryAfter), ...(bodyUnread ? { Connection: 'close' } : {}) },
      { error: 'rate_limited', message: 'too many events from this client; slow down' },
    )
  }
}

function fail(
  response: ServerResponse,
  answer: Answers,
  status: number,
  error: string,
  message: string,
  field?: string,
  extra?: Record<string, string>,
): void {
  const body: ErrorBody = { error, message }
  if (field) body.field = field
  send(response, status, extra ? { ...answer.json, ...extra } : answer.json, body)
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: object): void {
  response.writeHead(status, headers)
  response.end(JSON.stringify(body))
}

/** Node's lower-cased header record as the pipeline's reader; repeated headers joined as fetch's Headers does. */
function nodeHeaders(raw: IncomingHttpHeaders): HeaderReader {
  return {
    get: (name) => {
      const value = raw[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
}

const mediaType = (value: string | undefined): string | undefined =>
  value?.split(';')[0]?.trim().toLowerCase()

/**
 * The body as text; undefined when it has not fully arrived `timeoutMs` after reading began, null
 * when the client went away. Decoded as `Request.text()` does: invalid UTF-8 becomes U+FFFD and a
 * leading byte order mark is dropped.
 */
function readBody(
  incoming: IncomingMessage,
  timeoutMs: number | undefined,
): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let timer: NodeJS.Timeout | undefined
    const done = (value: string | undefined | null) => {
      clearTimeout(timer)
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onGone)
      incoming.off('aborted', onGone)
      resolve(value)
    }
    const onData = (chunk: Buffer) => chunks.push(chunk)
    const onEnd = () => {
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8')
      done(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
    }
    const onGone = () => done(null)
    if (timeoutMs) timer = setTimeout(() => done(undefined), timeoutMs)
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', onGone)
    incoming.on('aborted', onGone)
  })
}

type Answers = {
  json: Record<string, string>
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

const refusal = (drop: Dropped['drop']): string =>
  ({
    unknown_site: 'this site is not configured on the collector (SITES)',
    origin: 'this origin is not configured for the site (SITES)',
    bad_url: 'the url could not be parsed',
  })[drop as string] ?? 'refused'
