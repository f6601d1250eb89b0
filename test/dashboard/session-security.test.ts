import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// Signing in and out over a real socket: where a sign-in may send the browser, that logging out
// ends the session, and that guessing the token is throttled.
const TOKEN = 'session-security-token-0123456789'

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService
let other: TestService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(
    warehouse,
    { DASHBOARD_TOKEN: TOKEN, TRUST_PROXY: '1', SITES: 'demo=http://x.example' },
    { worker: { index: 1, count: 2 } },
  )
  // A second process over the same DATA_DIR, as `WORKERS` runs them.
  other = await startService(
    warehouse,
    {
      DASHBOARD_TOKEN: TOKEN,
      TRUST_PROXY: '1',
      SITES: 'demo=http://x.example',
      DATA_DIR: service.config.dataDir,
    },
    { worker: { index: 2, count: 2 } },
  )
})
afterAll(async () => {
  await other?.close()
  await service?.close()
  await dispose?.()
})

let client = 0
/** A client address of its own per call, so one test's failures do not throttle another's. */
const fresh = () => `198.51.100.${++client}`

const login = (next: string, token = TOKEN, from = fresh(), url = service.url) =>
  fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url, 'x-forwarded-for': from },
    body: new URLSearchParams({ token, next }).toString(),
  })

const cookieOf = (response: Response) => response.headers.get('set-cookie')?.split(';')[0] ?? ''

describe('where signing in leads', () => {
  it.each([
    ['/\t/evil.example/x', '/'],
    ['/\n/evil.example', '/'],
    ['/\\evil.example', '/'],
    ['//evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/?range=7d&device=mobile', '/?range=7d&device=mobile'],
  ])('POST /login with next=%j goes to %s on this site', async (raw, expected) => {
    // The form body is decoded: `next=/%09/evil.example/x` arrives as a tab.
    const response = await login(raw)
    expect(response.status).toBe(303)
    const location = response.headers.get('location') ?? ''
    expect(location).toBe(expected)
    // What a browser makes of it: this site, whatever it strips.
    expect(new URL(location.replace(/[\t\n\r]/g, ''), service.url).origin).toBe(service.url)
  })

  it('a signed-in GET /login?next= is held to the same rule', async () => {
    const cookie = cookieOf(await login('/'))
    const response = await fetch(`${service.url}/login?next=${encodeURIComponent('/\t/evil.example/x')}`, {
      redirect: 'manual',
      headers: { cookie },
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
  })

  it.each(['/%0a/x', '/%0d/x', '/%00'])(
    'next=%s is a redirect home, not a 500 that sets a cookie',
    async (raw) => {
      const posted = await login(decodeURIComponent(raw))
      expect(posted.status).toBe(303)
      expect(posted.headers.get('location')).toBe('/')
      const got = await fetch(`${service.url}/login?next=${raw}`, { redirect: 'manual' })
      expect(got.status).toBe(200)
      const signedIn = cookieOf(await login('/'))
      const again = await fetch(`${service.url}/login?next=${raw}`, {
        redirect: 'manual',
        headers: { cookie: signedIn },
      })
      expect(again.status).toBe(302)
      expect(again.headers.get('location')).toBe('/')
    },
  )
})

describe('signing out', () => {
  it('ends the session it was sent with, and every other one ("sign out everywhere")', async () => {
    const first = cookieOf(await login('/'))
    const second = cookieOf(await login('/'))
    const read = (cookie: string, url = service.url) =>
      fetch(`${url}/ui/data/overview?site=demo`, { headers: { cookie } }).then((r) => r.status)
    expect(await read(first)).not.toBe(401)
    expect(await read(second, other.url)).not.toBe(401)
    const out = await fetch(`${service.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: first, origin: service.url, 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(out.status).toBe(303)
    // The copy of the cookie the browser just deleted no longer reads anything, nor does any
    // other session, in this process or another one over the same DATA_DIR.
    expect(await read(first)).toBe(401)
    expect(await read(second)).toBe(401)
    expect(await read(second, other.url)).toBe(401)
    // Signing in again works at once.
    const third = cookieOf(await login('/', TOKEN, fresh(), other.url))
    expect(await read(third)).not.toBe(401)
  })
})

describe('guessing the token', () => {
  it('is throttled per client: 429 with Retry-After, while other clients still sign in', async () => {
    const attacker = fresh()
    const statuses: number[] = []
    for (let i = 0; i < 60; i++)
      statuses.push((await login('/', `wrong-token-guess-${i}-0123456789`, attacker)).status)
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(40)
    const refused = await login('/', TOKEN, attacker)
    // Even the right token waits: the throttle answers before the token is checked.
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.headers.get('set-cookie')).toBeNull()
    expect((await login('/', TOKEN, fresh())).status).toBe(303)
  })
})
