import { type ErrorBody, zodErrorBody } from '../../core/errors.ts'
import { Event, EventBatch } from '../../schemas/events.ts'
import { clientIp } from '../client-ip.ts'
import type { ContributionBound } from '../contribution-bound.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type Dropped, type RequestFacts, screenRequest } from '../pipeline.ts'
import type { RateLimiter } from '../rate-limit.ts'
import type { VisitorsNow } from '../visitors-now.ts'
import type { Batcher } from '../write-buffer/batcher.ts'

export const MAX_BODY_BYTES = 64 * 1024

/** What `POST /api/event` decides, whichever server adapter read the request. */
export type AcceptDeps = {
  processEvent: ReturnType<typeof import('../pipeline.ts').createEventPipeline>
  /** The visitor-day contribution bound (../contribution-bound.ts); none: every event is kept. */
  bound?: ContributionBound
  /** "Visitors now" (../visitors-now.ts): told of the rows accepted, in memory only. */
  visitorsNow?: Pick<VisitorsNow, 'record'>
  saltFor: (now: Date) => Promise<Uint8Array>
  batcher: Batcher
  allowedOrigins: ReadonlySet<string>
  trustProxy: boolean
  now: () => Date
  /** `RATE_LIMIT`: events per minute per client; absent when off. */
  rateLimiter?: RateLimiter | undefined
  count: {
    received: (n: number) => void
    accepted: (n: number) => void
    dropped: (reason: Dropped['drop'], n: number) => void
    /** Requests refused before their events were looked at: rate limit, slow body, no salt. */
    refused?: (reason: 'rate_limited' | 'timeout' | 'unavailable', n: number) => void
    /** Engagement reports cut to the engaged time their visitor-day had left. */
    clipped?: (n: number) => void
    visitsCut?: (n: number) => void
  }
}

/**
 * An answer for the adapter to write as it is: the status, the body already as text (none for a
 * 204) and every header. The common answers are built once and shared: never modify one.
 */
export type Outcome = {
  readonly status: number
  readonly body: string | undefined
  readonly headers: Readonly<Record<string, string>>
}

/** The headers and the prebuilt answers for one request's `Origin`. */
export type Answers = {
  /** Headers of an answer with a JSON body: CORS for the request's origin and `nosniff`. */
  json: Record<string, string>
  /** Headers of an answer without a body, and of one that also closes the connection. */
  empty: Record<string, string>
  emptyClose: Record<string, string>
  /** The 204 of a request dropped on its headers, without and with `Connection: close`. */
  screened: Outcome
  screenedClose: Outcome
  /** The 202 for each number of events kept, built when first needed. */
  accepted: Outcome[]
}

/** Where one request stands once its headers passed: the facts the pipeline reads, and its answers. */
export type Admitted = { request: RequestFacts; answer: Answers }

export type Accept = {
  /** The answers for a request's `Origin` header. */
  answers: (origin: string | undefined) => Answers
  /** The facts of a request the pipeline reads; `remoteAddress` is asked only when no trusted header names the client. */
  facts: (headers: HeaderReader, remoteAddress: () => string | undefined) => RequestFacts
  /**
   * The decision on headers alone, before anything of the body is read: 204 for an opt-out or a
   * bot, 429 over the client's rate limit (one event's worth), undefined to go on and read the
   * body. `bodyPending`: the client sent a body; refusing it unread closes the connection.
   */
  screen: (request: RequestFacts, answer: Answers, bodyPending: boolean) => Outcome | undefined
  /** The decision on the body's text: 202 with what was kept, or the refusal. Counts as it goes. */
  acceptBody: (text: string, request: RequestFacts, answer: Answers) => Promise<Outcome>
  /** An error answer with the route's headers, for the refusals only an adapter can make (408, 413…). */
  refuse: (
    answer: Answers,
    status: number,
    error: string,
    message: string,
    field?: string,
    extra?: Record<string, string>,
  ) => Outcome
}

/**
 * The one place `POST /api/event` is decided: routes/event.ts (Hono) and routes/event-node.ts
 * (`node:http`) only read the request their way and write the `Outcome` their way. A step added
 * here, such as a privacy bound, holds for both, which a copy in each adapter did not promise.
 */
export function createAccept(deps: AcceptDeps): Accept {
  const answers = responseHeaders(deps.allowedOrigins)

  const facts = (headers: HeaderReader, remoteAddress: () => string | undefined): RequestFacts => ({
    headers,
    ip: clientIp(remoteAddress, headers, deps.trustProxy),
    userAgent: headers.get('user-agent') ?? '',
    origin: headers.get('origin') ?? undefined,
    now: deps.now(),
  })

  const screen = (request: RequestFacts, answer: Answers, bodyPending: boolean): Outcome | undefined => {
    const screened = screenRequest(request)
    if (screened) {
      deps.count.dropped(screened.drop, 1)
      return bodyPending ? answer.screenedClose : answer.screened
    }
    // Every request costs its client one event before its body is read, the rest once counted.
    const limiter = deps.rateLimiter
    if (limiter && !limiter.take(request.ip, 1)) {
      return tooMany(answer, limiter.retryAfter(request.ip, 1), bodyPending)
    }
    return undefined
  }

  const acceptBody = async (text: string, request: RequestFacts, answer: Answers): Promise<Outcome> => {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      deps.count.dropped('invalid', 1)
      return refuse(answer, 400, 'invalid_json', 'the body is not valid JSON', 'body')
    }

    const isBatch = typeof body === 'object' && body !== null && 'events' in body
    const parsed = isBatch ? EventBatch.safeParse(body) : Event.safeParse(body)
    if (!parsed.success) {
      deps.count.dropped('invalid', 1)
      return { status: 400, body: JSON.stringify(zodErrorBody(parsed.error)), headers: answer.json }
    }
    const events = 'events' in parsed.data ? parsed.data.events : [parsed.data]
    const limiter = deps.rateLimiter
    if (limiter && events.length > 1 && !limiter.take(request.ip, events.length - 1)) {
      return tooMany(answer, limiter.retryAfter(request.ip, events.length - 1), false)
    }
    deps.count.received(events.length)

    let salt: Uint8Array
    try {
      salt = await deps.saltFor(request.now)
    } catch {
      // Today's salt lives in the warehouse; without it no visitor can be hashed. Nothing is
      // accepted, so the sender keeps the events and tries again.
      deps.count.refused?.('unavailable', events.length)
      return refuse(answer, 503, 'unavailable', 'the warehouse is unreachable; retry later', undefined, {
        'Retry-After': '30',
      })
    }
    const rows = []
    for (let index = 0; index < events.length; index++) {
      const result = deps.processEvent(events[index] as Event, request, salt)
      if ('drop' in result) {
        deps.count.dropped(result.drop, events.length)
        const field = isBatch ? `events.${index}.${result.field ?? 'url'}` : (result.field ?? 'url')
        // Nothing of a batch is kept when one event is refused: the sender fixes and resends.
        return refuse(answer, result.drop === 'origin' ? 403 : 400, result.drop, refusal(result.drop), field)
      }
      rows.push(result)
    }
    // Past a visitor-day's contribution bound, events are dropped (and counted), not refused: the
    // sender has done nothing wrong and must not retry them.
    const bounded = deps.bound ? deps.bound.admit(rows) : { kept: rows, dropped: 0, clipped: 0, visitsCut: 0 }
    if (bounded.dropped > 0) deps.count.dropped('contribution_bound', bounded.dropped)
    if (bounded.clipped > 0) deps.count.clipped?.(bounded.clipped)
    if (bounded.visitsCut > 0) deps.count.visitsCut?.(bounded.visitsCut)
    if (bounded.kept.length === 0) return accepted(answer, 0)
    const offered = await deps.batcher.offer(bounded.kept)
    if (!offered.ok) {
      const reason = offered.reason === 'full' ? 'overloaded' : 'unavailable'
      deps.count.dropped(reason, bounded.kept.length)
      return refuse(
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
    deps.visitorsNow?.record(bounded.kept)
    return accepted(answer, bounded.kept.length)
  }

  function tooMany(answer: Answers, retryAfter: number, bodyPending: boolean): Outcome {
    deps.count.refused?.('rate_limited', 1)
    const body = JSON.stringify({
      error: 'rate_limited',
      message: 'too many events from this client; slow down',
    })
    const headers = { ...answer.json, 'Retry-After': String(retryAfter) }
    return { status: 429, body, headers: bodyPending ? { ...headers, Connection: 'close' } : headers }
  }

  return { answers, facts, screen, acceptBody, refuse }
}

function refuse(
  answer: Answers,
  status: number,
  error: string,
  message: string,
  field?: string,
  extra?: Record<string, string>,
): Outcome {
  const body: ErrorBody = { error, message }
  if (field) body.field = field
  return { status, body: JSON.stringify(body), headers: extra ? { ...answer.json, ...extra } : answer.json }
}

// The 202 is the common answer: one per origin and count, so that accepting allocates no answer.
function accepted(answer: Answers, n: number): Outcome {
  let outcome = answer.accepted[n]
  if (outcome === undefined) {
    outcome = { status: 202, body: `{"accepted":${n}}`, headers: answer.json }
    answer.accepted[n] = outcome
  }
  return outcome
}

/** The response headers for each configured origin, built once; one set for any other origin. */
function responseHeaders(allowedOrigins: ReadonlySet<string>): (origin: string | undefined) => Answers {
  const build = (allowed: string | undefined): Answers => {
    const common = {
      ...(allowed ? { 'Access-Control-Allow-Origin': allowed } : {}),
      Vary: 'Origin',
      'X-Content-Type-Options': 'nosniff',
    }
    const emptyClose = { ...common, Connection: 'close' }
    return {
      json: { ...common, 'Content-Type': 'application/json' },
      empty: common,
      emptyClose,
      screened: { status: 204, body: undefined, headers: common },
      screenedClose: { status: 204, body: undefined, headers: emptyClose },
      accepted: [],
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
