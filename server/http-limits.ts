import type { ServerOptions } from 'node:http'
import type { MiddlewareHandler } from 'hono'

/** Request headers larger than this are refused by Node itself with 431. */
export const MAX_HEADER_BYTES = 16 * 1024

/**
 * Limits of the HTTP server itself, before any route runs: header size (431), time to send the
 * headers and the whole request (408 and the connection closed), idle keep-alive connections.
 * Slow senders are checked every second, so one that stalls holds its socket for at most
 * `requestTimeoutMs` plus a second. Bodies are limited per route (`/api/event`: 64 KiB, 413).
 */
export function serverLimits(requestTimeoutMs: number): ServerOptions {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: Math.min(requestTimeoutMs, 10_000),
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: 1_000,
  }
}

/**
 * A response to a request whose body the route did not read (a refusal: opt-out, rate limit,
 * wrong content type, unknown route) says `Connection: close`. The unread rest of the body is
 * then drained and the connection ended, rather than the connection being kept alive and cut
 * by the drain's time limit just as the client sends its next request on it.
 */
export function closeWhenBodyUnread(): MiddlewareHandler {
  return async function closeWhenBodyUnread(c, next) {
    await next()
    const headers = c.req.raw.headers
    const hasBody = Number(headers.get('content-length') ?? 0) > 0 || headers.has('transfer-encoding')
    if (!hasBody || c.req.raw.bodyUsed) return
    try {
      c.res.headers.set('Connection', 'close')
    } catch {
      c.res = new Response(c.res.body, c.res)
      c.res.headers.set('Connection', 'close')
    }
  }
}
