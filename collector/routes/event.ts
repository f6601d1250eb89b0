import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { Event, EventBatch } from '../../schemas/events.ts'
import { AppError, zodErrorBody } from '../../server/errors.ts'
import type { Batcher } from '../batcher.ts'
import { clientIp } from '../client-ip.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type Dropped, type RequestFacts, screenRequest } from '../pipeline.ts'

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
  count: {
    received: (n: number) => void
    accepted: (n: number) => void
    dropped: (reason: Dropped['drop'], n: number) => void
  }
}

type Env = { Variables: { dropReason?: string } }

/**
 * `POST /api/event`: one event or `{ "events": [...] }`, as JSON or as the `text/plain` that
 * `navigator.sendBeacon` sends. 202 accepted, 204 dropped by policy, 400 naming the bad field,
 * 413 too large, 415 other content types, 503 when the write buffer is full.
 */
export function eventRoutes(deps: EventRouteDeps): Hono<Env> {
  const app = new Hono<Env>()
  app.use(
    '/api/event',
    cors({
      origin: (origin) => (deps.allowedOrigins.has(origin) ? origin : null),
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Content-Type'],
      maxAge: 86_400,
    }),
  )
  app.post(
    '/api/event',
    bodyLimit({
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

      const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
      if (type !== 'application/json' && type !== 'text/plain') {
        throw new AppError(415, 'unsupported_media_type', 'send application/json or text/plain')
      }
      let body: unknown
      try {
        body = JSON.parse(await c.req.text())
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
      deps.count.received(events.length)

      const salt = await deps.saltFor(request.now)
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
      if (!deps.batcher.offer(rows)) {
        deps.count.dropped('overloaded', rows.length)
        c.header('Retry-After', '5')
        throw new AppError(503, 'overloaded', 'the collector cannot take more events right now; retry later')
      }
      deps.count.accepted(rows.length)
      return c.json({ accepted: rows.length }, 202)
    },
  )
  return app
}

const refusal = (drop: Dropped['drop']): string =>
  ({
    unknown_site: 'this site is not configured on the collector (SITES)',
    origin: 'this origin is not configured for the site (SITES)',
    bad_url: 'the url could not be parsed',
  })[drop as string] ?? 'refused'
