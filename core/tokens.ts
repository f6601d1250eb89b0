import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Context, MiddlewareHandler } from 'hono'
import type { Logger } from './logger.ts'
import type { FailureThrottle } from './throttle.ts'

const MIN_TOKEN_LENGTH = 16

/**
 * The bearer token of one audience (dashboard, recommendation service). A configured token wins.
 * Otherwise a random one is kept in `<dataDir>/<file>` (mode 0600): created on the first start,
 * reused after, so `npm start` is protected without setup and the operator reads the token from
 * the file. Only the file's path is ever logged.
 */
export function resolveToken(options: {
  configured: string | undefined
  dataDir: string
  file: string
  logger: Logger
}): string {
  if (options.configured) return options.configured
  const path = resolve(options.dataDir, options.file)
  mkdirSync(options.dataDir, { recursive: true })
  try {
    // `wx` fails when the file exists, so two processes starting at once cannot overwrite each other.
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    options.logger.info({ file: path }, 'generated a bearer token; read it from this file')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    if ((statSync(path).mode & 0o077) !== 0) {
      options.logger.warn({ file: path }, 'token file is readable by other users; chmod 600 it')
    }
  }
  const token = readFileSync(path, 'utf8').trim()
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`${path} must hold a token of at least ${MIN_TOKEN_LENGTH} characters`)
  }
  return token
}

// Digests have one length whatever the input, so the comparison takes the same time for a
// token of the wrong length as for one that differs in its last character. One-shot: no Hash
// object per request (the recommendation call checks a token on every page view).
const digest = (value: string) => hash('sha256', value, 'buffer')

/** Constant-time comparison of two secrets, whatever their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/** The token of an `Authorization: Bearer <token>` header's value, or undefined. */
export const bearerOf = (authorization: string | undefined): string | undefined =>
  /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1]

/** The token of the request's `Authorization: Bearer <token>`, or undefined. */
export const presentedBearer = (c: Context): string | undefined => bearerOf(c.req.header('authorization'))

/**
 * Whether an `Authorization` header's value presents `token`: compared in constant time, whatever
 * the lengths. The one check of `bearerAuth` and of the routes served on node:http ahead of the app.
 */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token)
  return (authorization) => {
    const presented = bearerOf(authorization)
    return timingSafeEqual(digest(presented ?? ''), expected) && presented !== undefined
  }
}

/** Who a failed attempt is counted against: the throttle, and the client of a request. */
export type Attempts = { throttle: FailureThrottle; client: (c: Context) => string }

/** 429 with Retry-After while the request's client has failed too often (see FailureThrottle). */
export function throttled(c: Context, attempts: Attempts | undefined): Response | undefined {
  // While nobody has failed lately no client can be waiting: no need to tell clients apart.
  if (!attempts || attempts.throttle.idle()) return undefined
  const wait = attempts.throttle.wait(attempts.client(c))
  if (wait === 0) return undefined
  return c.json(
    { error: 'too_many_attempts', message: `too many wrong tokens; try again in ${wait} s` },
    429,
    {
      'Retry-After': String(wait),
    },
  )
}

/**
 * 401 unless the request carries `Authorization: Bearer <token>`. With `attempts`, every wrong
 * token counts against the request's client, and a client over its limit gets 429 before its
 * token is compared, so guessing is slowed to the throttle's rate.
 */
export function bearerAuth(token: string, realm: string, attempts?: Attempts): MiddlewareHandler {
  const valid = bearerCheck(token)
  return async function bearer(c, next) {
    const refused = throttled(c, attempts)
    if (refused) return refused
    if (!valid(c.req.header('authorization'))) {
      attempts?.throttle.failed(attempts.client(c))
      return c.json({ error: 'unauthorized', message: 'a valid bearer token is required' }, 401, {
        'WWW-Authenticate': `Bearer realm="${realm}"`,
      })
    }
    await next()
  }
}
