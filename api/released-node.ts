import type { IncomingMessage, ServerResponse } from 'node:http'
import { getQueryParams } from 'hono/utils/url'
import { type Attempts, bearerCheck } from '../core/tokens.ts'
import { ANSWER_CACHE_CONTROL, type ReleasedAnswerer } from './released-route.ts'

/**
 * A route on `node:http` itself, tried before the app: `true` when it took the request. `pass`
 * hands a request it took to the app after all (it has written nothing by then).
 */
export type NodeRoute = (request: IncomingMessage, response: ServerResponse, pass: () => void) => boolean

export type ReleasedNodeOptions = {
  /** The one path served, e.g. `/api/v1/recommend`. */
  path: `/${string}`
  /** The route as `releasedRouter` serves it (released-route.ts): its query and its answer. */
  answerer: ReleasedAnswerer
  /** The bearer token of the route's audience. */
  token: string
  /** The throttle of wrong tokens `bearerAuth` keeps in front of the same route in the app. */
  attempts?: Attempts | undefined
  /** The headers the app's middleware adds to the route's JSON answers (the security headers). */
  headers: Readonly<Record<string, string>>
}

/**
 * One released route of the app served on `node:http`, without turning each request into a WHATWG
 * Request and Response and without the app's router and middleware: for `GET /api/v1/recommend`,
 * called on every page view of the shop, those cost more than the answer itself. It serves only
 * what it can answer exactly as the app would, and leaves everything else to the app's own route
 * (so every refusal is the app's, with its status, JSON, headers and counters):
 *
 * - a GET of exactly `path` with a query of plain characters (nothing the Hono adapter would
 *   re-encode, no fragment) and a Host the adapter takes as it is;
 * - one `Authorization` header presenting the token (`bearerCheck`, the app's check), while no
 *   client is being throttled for wrong tokens (a wrong or missing token goes to the app, which
 *   answers 401 and counts it against the client; while one is throttled, every call goes there);
 * - a query the route parses (the same `parse`, from the same decoding of the parameters as
 *   Hono's `c.req.queries()`); an answer that throws is passed to the app, which answers it.
 *
 * The answer is the route's own JSON (`answer`), with the headers the app would send.
 */
export function releasedNodeRoute(options: ReleasedNodeOptions): NodeRoute {
  const { path, answerer, attempts } = options
  const valid = bearerCheck(options.token)
  const head = {
    'Content-Type': 'application/json',
    'Cache-Control': ANSWER_CACHE_CONTROL,
    ...options.headers,
  }
  return (request, response, pass) => {
    if (request.method !== 'GET') return false
    const url = request.url ?? ''
    if (!url.startsWith(path) || (url.length > path.length && url.charCodeAt(path.length) !== QUESTION_MARK))
      return false
    if (!PLAIN_TARGET.test(url) || !PLAIN_HOST.test(request.headers.host ?? '')) return false
    if (attempts && !attempts.throttle.idle()) return false
    if (!single(request.rawHeaders, 'authorization') || !valid(request.headers.authorization)) return false
    let query: ReturnType<ReleasedAnswerer['parse']>
    try {
      query = answerer.parse(getQueryParams(url) as Record<string, string[]>)
    } catch {
      return false
    }
    answerer.answer(query).then(
      (body) => {
        // With the headers given to writeHead, node writes them at once: the length must be among them.
        response.writeHead(200, { ...head, 'Content-Length': Buffer.byteLength(body) })
        response.end(body)
      },
      () => pass(),
    )
    return true
  }
}

const QUESTION_MARK = 63

// Request targets whose URL @hono/node-server makes as the target is: its own pattern for them
// (reValidRequestUrl) with `%` and `|`, which it rebuilds through `new URL` instead, which leaves
// both as they are in a query; the path is `path` itself, so no dot segment. No `#`: a fragment.
const PLAIN_TARGET = /^\/[!$%&-;=?-[\]_a-z|~]*$/
// The Host it takes as it is (its reValidHost); it checks any other, and may refuse it.
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/

/**
 * Whether the header `name` (lower case) occurs once: node keeps the first of repeated
 * `Authorization` headers, where the app's Headers join them (and refuse the result).
 */
function single(raw: readonly string[], name: string): boolean {
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i] as string
    if (header.length === name.length && header.toLowerCase() === name) count++
  }
  return count === 1
}
