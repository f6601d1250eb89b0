import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../core/logger.ts'
import type { HeaderReader } from '../opt-out.ts'
import { type AcceptDeps, type Answers, createAccept, MAX_BODY_BYTES, type Outcome } from './accept.ts'

export type EventNodeDeps = AcceptDeps & {
  /** The body must have arrived within this many ms of reading's start, or the answer is 408. */
  requestTimeoutMs?: number
  logger: Logger
}

/** Answers `true` when it took the request; `false` leaves it to the app (Hono). */
export type NodeIngest = (request: IncomingMessage, response: ServerResponse) => boolean

/**
 * `POST /api/event` on `node:http` itself, ahead of the Hono app, without turning each request
 * into a WHATWG Request and Response, which cost the route more than its privacy pipeline. The
 * node:http adapter of the route: every decision on the headers and the body is ./accept.ts's,
 * the same one routes/event.ts (Hono) writes; this file only reads the body from the socket and
 * writes the outcome to it. It takes only what it can decide on the headers to be the common
 * case: a POST to exactly `/api/event` with a declared length within the limit and a JSON or
 * text/plain body. Everything else (the CORS preflight, chunked or too large bodies, other media
 * types) goes to the Hono route, which answers it as it always has.
 */
export function eventNodeRoute(deps: EventNodeDeps): NodeIngest {
  const core = createAccept(deps)

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
    const answer = core.answers(headers.get('origin') ?? undefined)
    accept(request, response, headers, answer, length > 0).catch((error: unknown) => {
      deps.logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'unhandled error')
      const requestId = crypto.randomUUID()
      if (!response.headersSent) {
        response.writeHead(500, answer.json)
        response.end(JSON.stringify({ error: 'internal', message: 'internal error', requestId }))
      }
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
    const request = core.facts(headers, () => incoming.socket.remoteAddress)
    // Opt-out, bots and the rate limit are decided on headers alone, before anything of the body
    // is read; an answer that leaves a body unread closes the connection (see routes/event.ts, bodyUnread).
    const screened = core.screen(request, answer, hasBody)
    if (screened) return write(response, screened)

    const text = await readBody(incoming, deps.requestTimeoutMs)
    if (text === null) return // the client went away; nothing to answer
    if (text === undefined) {
      deps.count.refused?.('timeout', 1)
      return write(
        response,
        core.refuse(answer, 408, 'timeout', 'the body did not arrive in time', undefined, {
          Connection: 'close',
        }),
      )
    }
    write(response, await core.acceptBody(text, request, answer))
  }
}

function write(response: ServerResponse, outcome: Outcome): void {
  response.writeHead(outcome.status, outcome.headers)
  response.end(outcome.body)
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
