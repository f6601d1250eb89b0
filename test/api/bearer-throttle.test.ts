import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// Wrong bearer tokens are throttled per client, before the token is compared; a client with the
// right token is never slowed by another client's guesses.
const API_TOKEN = 'bearer-throttle-api-token-0123456789'
const DASHBOARD_TOKEN = 'bearer-throttle-dash-token-0123456789'

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, { API_TOKEN, DASHBOARD_TOKEN, TRUST_PROXY: '1' })
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const call = (path: string, token: string, from: string) =>
  fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from } })

describe('wrong bearer tokens', () => {
  it('get 429 with Retry-After after a burst, per client', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 300; i++) {
      const response = await call('/api/v1/segments?site=demo', `guess-${i}-0123456789abcdef`, '198.51.100.7')
      await response.body?.cancel()
      statuses.push(response.status)
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(250)
    const waiting = await call('/api/v1/segments?site=demo', API_TOKEN, '198.51.100.7')
    expect(waiting.status).toBe(429)
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await waiting.json()).toMatchObject({ error: 'too_many_attempts' })
    // The throttle is shared by every bearer-protected route, and leaves other clients alone.
    expect((await call('/api/stats/overview?site=demo', DASHBOARD_TOKEN, '198.51.100.7')).status).toBe(429)
    expect((await call('/api/v1/segments?site=demo', API_TOKEN, '198.51.100.8')).status).toBe(200)
    // /api/v1/recommend, served ahead of the server's middleware, keeps the same throttle.
    expect((await call('/api/v1/recommend?site=demo', API_TOKEN, '198.51.100.7')).status).toBe(429)
    expect((await call('/api/v1/recommend?site=demo', API_TOKEN, '198.51.100.8')).status).not.toBe(429)
  })

  it('are counted on /api/v1/recommend too, which answers 401 with the security headers', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) {
      const response = await call(
        '/api/v1/recommend?site=demo',
        `guess-${i}-0123456789abcdef`,
        '198.51.100.9',
      )
      statuses.push(response.status)
      if (i === 0) {
        expect(response.headers.get('www-authenticate')).toContain('tally-api')
        expect(response.headers.get('x-content-type-options')).toBe('nosniff')
        expect(response.headers.get('x-frame-options')).toBe('DENY')
      }
      await response.body?.cancel()
    }
    expect(statuses[0]).toBe(401)
    expect(statuses.at(-1)).toBe(429)
  })

  it('/api/v1/recommend runs ahead of the app-wide middleware: no request id (nor log line), the same headers', async () => {
    const recommend = await call('/api/v1/recommend?site=demo', API_TOKEN, '198.51.100.20')
    const segments = await call('/api/v1/segments?site=demo', API_TOKEN, '198.51.100.20')
    expect([recommend.status, segments.status]).toEqual([200, 200])
    expect(recommend.headers.get('x-request-id')).toBeNull()
    expect(segments.headers.get('x-request-id')).toBeTruthy()
    for (const name of [
      'x-content-type-options',
      'content-security-policy',
      'x-frame-options',
      'cache-control',
    ]) {
      expect(recommend.headers.get(name), name).toBe(segments.headers.get(name))
    }
    await recommend.body?.cancel()
    await segments.body?.cancel()
  })
})
