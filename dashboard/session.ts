import { createHmac } from 'node:crypto'
import { sameSecret } from '../core/tokens.ts'

/**
 * The dashboard's login session: a signed, expiring value in an HttpOnly, SameSite=Strict cookie.
 *
 * The cookie never holds the token itself. It holds `v2.<epoch>.<expiry>.<mac>`, where the MAC is
 * an HMAC-SHA256 keyed by `DASHBOARD_TOKEN`: the server needs no session store, a session cannot
 * be forged without the token, and changing the token logs every browser out. The epoch is the
 * session epoch (session-epoch.ts) at sign-in: signing out advances it, which ends every session
 * signed before, a copied cookie included.
 */

export const SESSION_COOKIE = 'tally_session'
/** Twelve hours: a working day, after which the dashboard asks for the token again. */
export const SESSION_SECONDS = 12 * 60 * 60

const mac = (token: string, payload: string) =>
  createHmac('sha256', token).update(`tally-dashboard-session:${payload}`).digest('base64url')

export { sameSecret }

export function createSession(token: string, now: Date, epoch = 0): string {
  const expires = Math.floor(now.getTime() / 1000) + SESSION_SECONDS
  const payload = `v2.${epoch}.${expires}`
  return `${payload}.${mac(token, payload)}`
}

export function validSession(
  value: string | undefined,
  token: string | undefined,
  now: Date,
  epoch = 0,
): boolean {
  if (!value || !token) return false
  const match = /^(v2\.(\d{1,15})\.(\d{1,12}))\.([A-Za-z0-9_-]{43})$/.exec(value)
  if (!match) return false
  const [, payload = '', signedEpoch = '', expires = '0', given = ''] = match
  if (!sameSecret(given, mac(token, payload))) return false
  return Number(signedEpoch) === epoch && Number(expires) * 1000 > now.getTime()
}
