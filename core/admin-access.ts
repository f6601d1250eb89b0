import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import { presentedBearer, sameSecret } from './tokens.ts'

/**
 * Operator endpoints (`/metrics`, the detail of `/healthz`). With `ADMIN_TOKEN` set they take it
 * as a bearer token. Without it they answer only a caller on this machine that came straight to
 * the socket: a loopback peer with no forwarding header, so a reverse proxy on the same host does
 * not open them to the world.
 */

const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip']

const isLoopback = (address: string | undefined): boolean =>
  !!address &&
  (address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address.replace(/^::ffff:/i, '')))

const peer = (c: Context): string | undefined => {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}

/** A caller on this machine, not forwarded by a proxy. */
export const isDirectLocal = (c: Context): boolean =>
  isLoopback(peer(c)) && FORWARDED.every((name) => c.req.header(name) === undefined)

/** Whether the request may see operator detail: the admin token, or (without one) a direct local caller. */
export function adminAllowed(token: string | undefined): (c: Context) => boolean {
  return (c) => {
    if (!token) return isDirectLocal(c)
    const presented = presentedBearer(c)
    return presented !== undefined && sameSecret(presented, token)
  }
}

/** 401 (with a token) or 403 (without one, from elsewhere) unless `adminAllowed`. */
export function adminOnly(token: string | undefined): MiddlewareHandler {
  const allowed = adminAllowed(token)
  return async function admin(c, next) {
    if (allowed(c)) return next()
    if (token) {
      return c.json({ error: 'unauthorized', message: 'a valid bearer token is required' }, 401, {
        'WWW-Authenticate': 'Bearer realm="tally-admin"',
      })
    }
    return c.json({ error: 'forbidden', message: 'set ADMIN_TOKEN to reach this from another machine' }, 403)
  }
}
