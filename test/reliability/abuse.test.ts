import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DASHBOARD_CSP, securityHeaders } from '../../server/security-headers.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { CHROME_UA, postEvents } from '../support/http.ts'
import { parseMetrics } from '../support/metrics.ts'
import { spawnService, stopService } from '../support/process.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/**
 * Abuse and access: the per-client rate limit (429, keyed by a keyed hash of the client, never
 * the address), tokens on operator endpoints, security headers on the dashboard and every other
 * page of ours but the storefront demo, and no secret in any log line.
 */

const SHOP = 'https://shop.example'
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
const pageview = (path = '/') => ({ type: 'pageview', site: 'shop', url: `${SHOP}${path}` })
const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra })

let warehouse: Warehouse
let dispose: () => Promise<void>
let limited: TestService
let unlimited: TestService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  limited = await startService(warehouse, {
    SITES: `shop=${SHOP}`,
    TRUST_PROXY: '1',
    RATE_LIMIT: '60',
    ADMIN_TOKEN,
  })
  unlimited = await startService(warehouse, { SITES: `shop=${SHOP}`, RATE_LIMIT: '0' })
})
afterAll(async () => {
  await limited?.close()
  await unlimited?.close()
  await dispose?.()
})

describe('the per-client rate limit (RATE_LIMIT events a minute)', () => {
  it('takes a minute of events, then answers 429 with Retry-After; other clients are not affected', async () => {
    // At once, so that the bucket (one event a second) does not refill meanwhile.
    const answers = await Promise.all(
      Array.from({ length: 62 }, (_, n) => postEvents(limited.url, pageview(`/a/${n}`), from('203.0.113.1'))),
    )
    const accepted = answers.filter((answer) => answer.status === 202).length
    const refused = answers.filter((answer) => answer.status === 429)
    expect(accepted).toBeGreaterThanOrEqual(60)
    expect(accepted).toBeLessThanOrEqual(61)
    expect(refused.length).toBe(62 - accepted)
    expect(refused[0]?.json).toMatchObject({ error: 'rate_limited' })
    expect(Number(refused[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await postEvents(limited.url, pageview('/b'), from('203.0.113.2'))).status).toBe(202)
  })

  it('counts events, not requests: a batch costs its size', async () => {
    const batch = (n: number) => ({ events: Array.from({ length: n }, (_, i) => pageview(`/c/${i}`)) })
    expect((await postEvents(limited.url, batch(50), from('203.0.113.3'))).status).toBe(202)
    expect((await postEvents(limited.url, batch(20), from('203.0.113.3'))).status).toBe(429)
    expect((await postEvents(limited.url, batch(9), from('203.0.113.3'))).status).toBe(202)
  })

  it('treats an IPv6 /64 as one client', async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        postEvents(limited.url, pageview(), from(`2001:db8:aa:bb::${n + 1}`)),
      ),
    )
    expect((await postEvents(limited.url, pageview(), from('2001:db8:aa:bb:ffff::1'))).status).toBe(429)
    expect((await postEvents(limited.url, pageview(), from('2001:db8:aa:cc::1'))).status).toBe(202)
  })

  it('still honours an opt-out first (204), and counts refusals on /metrics without any address', async () => {
    const optOut = await postEvents(limited.url, pageview(), from('203.0.113.1', { 'sec-gpc': '1' }))
    expect(optOut.status).toBe(204)
    const response = await fetch(`${limited.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    const text = await response.text()
    expect(parseMetrics(text)['tally_requests_refused_total{reason="rate_limited"}']).toBeGreaterThanOrEqual(
      2,
    )
    expect(text).not.toMatch(/203\.0\.113|2001:db8/)
  })

  it('is off with RATE_LIMIT=0', async () => {
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, n) => postEvents(unlimited.url, pageview(`/u/${n}`))),
    )
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([202]))
  })
})

describe('operator endpoints', () => {
  it('/metrics takes ADMIN_TOKEN when one is set, compared in constant time', async () => {
    const metrics = (authorization?: string) =>
      fetch(`${limited.url}/metrics`, authorization ? { headers: { authorization } } : {})
    const none = await metrics()
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect((await metrics(`Bearer ${ADMIN_TOKEN}x`)).status).toBe(401)
    expect((await metrics(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`)).status).toBe(401)
    expect((await metrics(`Basic ${ADMIN_TOKEN}`)).status).toBe(401)
    expect((await metrics(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200)
    // Without ADMIN_TOKEN (a laptop), it is open.
    expect((await fetch(`${unlimited.url}/metrics`)).status).toBe(200)
  })
})

describe('security headers', () => {
  const expectDashboardHeaders = (response: Response, path: string) => {
    expect(response.headers.get('content-security-policy'), path).toBe(DASHBOARD_CSP)
    expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'")
    expect(response.headers.get('x-frame-options'), path).toBe('DENY')
    expect(response.headers.get('referrer-policy'), path).toBe('no-referrer')
    expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
  }

  it('on the dashboard routes, whatever they answer', async () => {
    for (const path of [
      '/',
      '/dashboard',
      '/dashboard/traffic',
      '/login',
      '/api/stats/overview',
      '/api/v1/offers',
    ]) {
      const response = await fetch(`${limited.url}${path}`, { redirect: 'manual' })
      await response.body?.cancel()
      expectDashboardHeaders(response, path)
    }
  })

  it('on every HTML page of ours, with a policy that forbids inline script', async () => {
    const app = new Hono()
    app.use(securityHeaders())
    app.get('/dashboard/report', (c) => c.html('<h1>report</h1>'))
    app.get('/somewhere/else', (c) => c.html('<h1>page</h1>'))
    app.get('/data.json', (c) => c.json({ ok: true }))
    for (const path of ['/dashboard/report', '/somewhere/else'])
      expectDashboardHeaders(await app.request(path), path)
    expect(DASHBOARD_CSP).toMatch(/script-src 'self'(;|$)/)
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline')
    const json = await app.request('/data.json')
    expect(json.headers.get('x-content-type-options')).toBe('nosniff')
    expect(json.headers.get('content-security-policy')).toBeNull()
  })

  it('not on the storefront demo, whose inline beacon snippet must run, nor on the beacon', async () => {
    const shop = await fetch(`${limited.url}/demo-shop`)
    expect(shop.status).toBe(200)
    expect(await shop.text()).toContain('<script')
    expect(shop.headers.get('content-security-policy')).toBeNull()
    expect(shop.headers.get('referrer-policy')).toBeNull()
    expect(shop.headers.get('x-content-type-options')).toBe('nosniff')
    const beacon = await fetch(`${limited.url}/beacon.js`)
    await beacon.body?.cancel()
    expect(beacon.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    expect(beacon.headers.get('content-security-policy')).toBeNull()
  })

  it('CORS on /api/event only for configured origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${limited.url}/api/event`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
    expect((await preflight(SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP)
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('secrets in logs', () => {
  const tokens = {
    ADMIN_TOKEN: 'admin-secret-aaaaaaaaaaaaaaaaaaaa',
    DASHBOARD_TOKEN: 'dashboard-secret-bbbbbbbbbbbbbbbb',
    API_TOKEN: 'api-secret-cccccccccccccccccccccccc',
  }
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('never appear in a log line, at debug level, right or wrong, in headers, forms or URLs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-secrets-'))
    dirs.push(dataDir)
    const service = await spawnService({ DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...tokens })
    const wrong = 'wrong-secret-dddddddddddddddddddddd'
    for (const token of [...Object.values(tokens), wrong]) {
      const authorization = `Bearer ${token}`
      for (const path of [
        '/metrics',
        '/api/stats/overview',
        '/api/v1/affinity',
        '/',
        `/nope?token=${token}`,
      ]) {
        await (
          await fetch(`${service.url}${path}`, { headers: { authorization }, redirect: 'manual' })
        ).body?.cancel()
      }
      await (
        await fetch(`${service.url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: service.url },
          body: `token=${token}`,
          redirect: 'manual',
        })
      ).body?.cancel()
      await postEvents(
        `${service.url}`,
        { type: 'pageview', site: 'demo', url: `http://localhost:8787/?token=${token}` },
        { authorization, 'user-agent': CHROME_UA },
      )
    }
    expect((await stopService(service)).code).toBe(0)
    const output = service.output()
    expect(output).toMatch(/"msg":"request"/)
    for (const secret of [...Object.values(tokens), wrong]) expect(output).not.toContain(secret)
  }, 60_000)

  it('a bad secret in the configuration is named, not shown', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-secrets-'))
    dirs.push(dataDir)
    const failed = await spawnService({ DATA_DIR: dataDir, ADMIN_TOKEN: 'short-secret' }).then(
      () => '',
      (error: Error) => error.message,
    )
    expect(failed).toMatch(/ADMIN_TOKEN/)
    expect(failed).not.toContain('short-secret')
  })
})
