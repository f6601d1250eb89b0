import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { CHROME_UA, postEvents } from '../support/http.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

const SHOP = 'https://shop.example'
const pageview = { type: 'pageview', site: 'shop', url: `${SHOP}/` }

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: TestService
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startService(warehouse, { SITES: `shop=${SHOP}` })
})
afterAll(async () => {
  agent.destroy()
  await service?.close()
  await disposeWarehouse?.()
})

// POST /api/event is mounted ahead of the app-wide middleware (request id, request log, page
// security headers, closeWhenBodyUnread): these prove it still answers as every route does.
describe('the ingestion route, ahead of the app-wide middleware', () => {
  it('answers with nosniff and CORS for the site, refusals included, and no request id', async () => {
    const accepted = await postEvents(service.url, pageview, { origin: SHOP })
    expect(accepted.status).toBe(202)
    expect(accepted.json).toEqual({ accepted: 1 })
    expect(accepted.headers.get('x-content-type-options')).toBe('nosniff')
    expect(accepted.headers.get('access-control-allow-origin')).toBe(SHOP)
    expect(accepted.headers.get('vary')).toBe('Origin')
    expect(accepted.headers.get('content-type')).toBe('application/json')
    expect(accepted.headers.get('x-request-id')).toBeNull()
    // The dashboard and API routes still get theirs.
    expect((await fetch(`${service.url}/healthz`)).headers.get('x-request-id')).toMatch(/\S/)

    for (const [body, status] of [
      ['{"type":', 400],
      [{ ...pageview, site: 'nope' }, 400],
      [{ type: 'pageview' }, 400],
    ] as const) {
      const refused = await postEvents(service.url, body, { origin: SHOP })
      expect(refused.status).toBe(status)
      expect(refused.headers.get('access-control-allow-origin')).toBe(SHOP)
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff')
      expect(refused.json).toMatchObject({ error: expect.any(String), field: expect.any(String) })
    }
    const stranger = await postEvents(service.url, pageview, { origin: 'https://elsewhere.example' })
    expect(stranger.status).toBe(403)
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull()
    expect(stranger.headers.get('vary')).toBe('Origin')
  })

  it.each([
    ['an opt-out', { 'sec-gpc': '1', 'content-type': 'text/plain' }, 204],
    ['a wrong content type', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
  ])('closes the connection after refusing %s without reading its body', async (_, headers, status) => {
    const refused = await post('x'.repeat(2000), { 'user-agent': CHROME_UA, ...headers })
    expect(refused.status).toBe(status)
    expect(refused.connection).toBe('close')
    const accepted = await post(JSON.stringify(pageview), {
      'user-agent': CHROME_UA,
      'content-type': 'application/json',
    })
    expect(accepted.status).toBe(202)
    expect(accepted.connection).toBe('keep-alive')
  })
})

/** A POST over a keep-alive node:http agent, which shows the `Connection` header fetch hides. */
function post(
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}/api/event`, { method: 'POST', headers, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end(body)
  })
}
