import type { MiddlewareHandler } from 'hono'

/**
 * Security headers. Every response gets `nosniff`. The dashboard (`/`, `/login`, `/logout`,
 * `/ui/*`, `/dashboard*`) and every other HTML page of ours also get a strict Content Security
 * Policy (own files only: no inline script or style, no plugin, no framing, forms and `<base>`
 * pinned), `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `Referrer-Policy:
 * no-referrer` and a same-origin opener policy. The read and admin APIs get the same, which to a
 * JSON response mostly means "never frame, never leak the URL".
 *
 * Left alone: the demo storefront (`/demo-shop*`), which stands for the customer's own shop and
 * carries its inline beacon snippet, and the beacon's own routes, which other origins load.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const DASHBOARD_PATHS =
  /^\/(?:$|login$|logout$|ui\/|dashboard(?:\/|$)|api\/(?:stats|v1|admin)(?:\/|$)|admin(?:\/|$))/
const STOREFRONT_PATHS = /^\/(?:demo-shop(?:\/|$)|beacon\.js$|api\/event$|\.well-known\/)/

export function isDashboardPath(path: string): boolean {
  return DASHBOARD_PATHS.test(path)
}

const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' }
const PAGE = {
  ...NOSNIFF,
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/**
 * The security headers of a response to `path` of `contentType` (see above): the middleware's, and
 * those a route served on node:http ahead of the app (server/ingest-first.ts) is given to send.
 */
export function securityHeadersFor(path: string, contentType: string): Readonly<Record<string, string>> {
  if (STOREFRONT_PATHS.test(path)) return NOSNIFF
  return contentType.startsWith('text/html') || DASHBOARD_PATHS.test(path) ? PAGE : NOSNIFF
}

export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next()
    const path = c.req.path
    const apply = (headers: Headers) => {
      for (const [name, value] of Object.entries(
        securityHeadersFor(path, headers.get('content-type') ?? ''),
      )) {
        // A route that sets its own, stricter policy keeps it.
        if (name !== 'Content-Security-Policy' || !headers.has(name)) headers.set(name, value)
      }
    }
    try {
      apply(c.res.headers)
    } catch {
      // A response passed through from fetch() has immutable headers: answer with a copy.
      c.res = new Response(c.res.body, c.res)
      apply(c.res.headers)
    }
  }
}
