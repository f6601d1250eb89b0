import type { MiddlewareHandler } from 'hono'
import { logText } from '../core/log-text.ts'
import type { Logger } from '../core/logger.ts'

/**
 * One log line per request: method, path, status, duration and, when the collector dropped the
 * event, why (the path capped and escaped). Deliberately not the IP, the user agent, the query string or any header.
 *
 * @example app.use(requestLog(logger))
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async function requestLog(c, next) {
    const started = performance.now()
    await next()
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        // The path is the requester's text: capped, and escaped so it cannot forge or reorder a line.
        path: logText(c.req.path),
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        drop: c.get('dropReason'),
      },
      'request',
    )
  }
}
