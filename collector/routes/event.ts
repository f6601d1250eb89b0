import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { AppError } from '../../core/errors.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type AcceptDeps, createAccept, MAX_BODY_BYTES, type Outcome } from './accept.ts'

export { MAX_BODY_BYTES }

export type EventRouteDeps = AcceptDeps & {
  /** Remote address of the socket, from the server adapter (asked only when no trusted header names the client). */
  remoteAddress: (c: import('hono').Context) => string | undefined
  /** The body must have arrived within this many ms of the request's start, or the answer is 408. */
  requestTimeoutMs?: number
}

/**
 * `POST /api/event`: one event or `{ "events": [...] }`, as JSON or as the `text/plain` that
 * `navigator.sendBeacon` sends. 202 once the events are in the write-ahead log (`WAL_FSYNC_MS`),
 * 204 dropped by policy, 400 naming the bad field, 408 a body slower than the request timeout,
 * 413 too large, 415 other content types, 429 over the client's rate limit, 503 + Retry-After
 * when the write-ahead log is full or cannot be written.
 *
 * The Hono adapter of the route: every decision on the headers and the body is ./accept.ts's, the
 * same one routes/event-node.ts writes on `node:http`. Only what depends on how the body arrives
 * is decided here: 413 (bodyLimit), 415 and 408. Since the server offers each request to
 * event-node.ts first, this adapter answers what that one leaves: the CORS preflight, chunked or
 * too large bodies, other media types (and every request where the server is not `ingestFirst`).
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
  const core = createAccept(deps)
  app.post(
    '/api/event',
    limitBody({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        setHeaders(c, core.answers(c.req.header('origin')).json)
        c.header('Connection', 'close')
        throw new AppError(413, 'too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`)
      },
    }),
    async (c) => {
      const headers: HeaderReader = c.req.raw.headers
      const answer = core.answers(headers.get('origin') ?? undefined)
      // A refusal thrown below is answered by the app's error handler, with the route's headers.
      try {
        const request = core.facts(headers, () => deps.remoteAddress(c))
        // Opt-out, bots and the rate limit are decided on headers alone, before anything of the body
        // is read; an answer that leaves a body unread closes the connection (see bodyUnread).
        const screened = core.screen(request, answer, bodyUnread(c))
        if (screened) return write(screened)

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
        return write(await core.acceptBody(text, request, answer))
      } catch (error) {
        setHeaders(c, answer.json)
        throw error
      }
    },
  )
  return app
}

// The outcome's headers are a plain object, the server adapter's cheapest way to write them.
const write = (outcome: Outcome): Response =>
  new Response(outcome.body ?? null, { status: outcome.status, headers: outcome.headers })

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
