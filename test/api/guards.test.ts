import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  API_TOKEN,
  DASHBOARD_TOKEN,
  ev,
  figures,
  type ReadService,
  read,
  send,
  startReadService,
} from './support.ts'

/*
 * What the read API refuses, and how: 400 naming the parameter, 401 without the right token
 * (checked before anything else), no stack trace ever, and input that never becomes SQL.
 */

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: ReadService

const RANGE = 'site=shop&from=2026-03-10&to=2026-03-10'
// A valid query for every route, to which one parameter at a time is then spoiled.
const VALID: Record<string, { query: Record<string, string>; token: string }> = {}

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startReadService(warehouse, { K_ANON: '2' })
  service.setNow('2026-03-10T12:00:00Z')
  for (const ip of ['192.0.2.1', '192.0.2.2']) {
    await send(service.url, { ip, country: 'DE' }, [
      ev.pageview('/p/brakes'),
      ev.productView('bp-1', 'brakes', { id: 'bp-0', category: 'brakes' }),
      ev.search('pads', 1),
    ])
  }
  await service.flush()
  const openapi = (await read(service.url, '/api/openapi.json', null)).body as OpenApi
  for (const [path, item] of Object.entries(openapi.paths)) {
    // The document lists the whole service; these cases are the read API's.
    if (!/^\/api\/(stats|v1)\//.test(path)) continue
    const required = item.get.parameters
      .filter((parameter) => parameter.required)
      .map((parameter) => parameter.name)
    const stats = path.startsWith('/api/stats')
    // A range where the route takes one (`/api/stats/now` is the last minutes, no range).
    const ranged = item.get.parameters.some((parameter) => parameter.name === 'from')
    const query: Record<string, string> = ranged
      ? { site: 'shop', from: '2026-03-10', to: '2026-03-10' }
      : { site: 'shop' }
    if (required.includes('product')) query.product = 'bp-1'
    if (required.includes('segment')) query.segment = 'device=desktop|country=DE|source=*|category=brakes'
    VALID[path] = { query, token: stats ? DASHBOARD_TOKEN : API_TOKEN }
  }
})

afterAll(async () => {
  await service?.close()
  await disposeWarehouse?.()
})

type OpenApi = {
  openapi: string
  paths: Record<
    string,
    { get: { parameters: Array<{ name: string; required: boolean; schema: { type?: string } }> } }
  >
  components: { securitySchemes: Record<string, { type: string; scheme: string }> }
}

const qs = (query: Record<string, string>) => new URLSearchParams(query).toString()

describe('400: a bad parameter is named', () => {
  it.each([
    ['no site', '/api/stats/pages?from=2026-03-10&to=2026-03-10', 'invalid', 'site'],
    ['an unknown site', '/api/stats/pages?site=other&from=2026-03-10&to=2026-03-10', 'unknown_site', 'site'],
    ['a malformed site', "/api/stats/pages?site=sh'op&from=2026-03-10&to=2026-03-10", 'invalid', 'site'],
    ['a date that is not one', '/api/stats/pages?site=shop&from=yesterday&to=2026-03-10', 'invalid', 'from'],
    [
      'a date not on the calendar',
      '/api/stats/pages?site=shop&from=2026-02-30&to=2026-03-10',
      'invalid',
      'from',
    ],
    ['a date out of range', '/api/stats/pages?site=shop&from=2026-03-10&to=3026-03-10', 'invalid', 'to'],
    ['from after to', '/api/stats/pages?site=shop&from=2026-03-11&to=2026-03-10', 'invalid', 'from'],
    ['a range over 400 days', '/api/stats/pages?site=shop&from=2025-01-01&to=2026-03-10', 'invalid', 'to'],
    ['no to', '/api/stats/overview?site=shop&from=2026-03-10', 'invalid', 'to'],
    ['a limit of 0', `/api/stats/pages?${RANGE}&limit=0`, 'invalid', 'limit'],
    ['a limit over 1000', `/api/stats/pages?${RANGE}&limit=1001`, 'invalid', 'limit'],
    ['a limit that is no number', `/api/stats/pages?${RANGE}&limit=ten`, 'invalid', 'limit'],
    ['an unknown device', `/api/stats/pages?${RANGE}&device=phone`, 'invalid', 'device'],
    ['a lower-case country', `/api/stats/pages?${RANGE}&country=de`, 'invalid', 'country'],
    ['an unknown source class', `/api/stats/pages?${RANGE}&source=google`, 'invalid', 'source'],
    ['an empty category', `/api/stats/products?${RANGE}&category=`, 'invalid', 'category'],
    [
      'a category filter on pages',
      `/api/stats/pages?${RANGE}&category=brakes`,
      'unsupported_filter',
      'category',
    ],
    [
      'a category filter on search',
      `/api/stats/search?${RANGE}&category=brakes`,
      'unsupported_filter',
      'category',
    ],
    [
      'a category filter on overview',
      `/api/stats/overview?${RANGE}&category=brakes`,
      'unsupported_filter',
      'category',
    ],
    ['an unknown parameter', `/api/stats/pages?${RANGE}&path=/`, 'invalid', 'path'],
    ['a repeated parameter', `/api/stats/pages?${RANGE}&site=other`, 'invalid', 'site'],
    ['an unknown interval', `/api/stats/timeseries?${RANGE}&interval=minute`, 'invalid', 'interval'],
    ['an unknown source dimension', `/api/stats/sources?${RANGE}&by=path`, 'invalid', 'by'],
  ])('%s', async (_, path, error, field) => {
    const answer = await read(service.url, path)
    expect(answer.status, JSON.stringify(answer.body)).toBe(400)
    expect(answer.body).toEqual({ error, message: expect.stringMatching(new RegExp(`^${field}: `)), field })
  })

  it.each([
    ['affinity without a product', '/api/v1/affinity?site=shop', 'product'],
    ['offers with a malformed segment', '/api/v1/offers?site=shop&segment=mobile', 'segment'],
    ['a dashboard filter on v1', '/api/v1/segments?site=shop&device=mobile', 'device'],
    ['a date range on v1', '/api/v1/segments?site=shop&from=2026-03-10', 'from'],
  ])('v1: %s', async (_, path, field) => {
    const answer = await read(service.url, path, API_TOKEN)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'invalid', field })
  })
})

describe('401: a valid bearer token, checked first', () => {
  it('on every route, without a token, with a wrong one and with the other audience’s', async () => {
    for (const [path, valid] of Object.entries(VALID)) {
      const url = `${path}?${qs(valid.query)}`
      const other = valid.token === DASHBOARD_TOKEN ? API_TOKEN : DASHBOARD_TOKEN
      for (const token of [null, 'not-the-token-at-all-0000', `${valid.token}x`, other]) {
        const answer = await read(service.url, url, token)
        expect(answer.status, `${url} with ${token}`).toBe(401)
        expect(answer.body).toEqual({ error: 'unauthorized', message: 'a valid bearer token is required' })
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
      }
      expect((await read(service.url, url, valid.token)).status, url).toBe(200)
    }
    // Before validation: a caller without the token learns nothing about the parameters.
    expect((await read(service.url, '/api/stats/pages?site=nope', null)).status).toBe(401)
  })

  it('works with tokens generated into DATA_DIR when none is configured', async () => {
    const generated = await startReadService(warehouse, { DASHBOARD_TOKEN: '', API_TOKEN: '' })
    try {
      const file = (name: string) => join(generated.config.dataDir, name)
      const dashboard = readFileSync(file('dashboard-token'), 'utf8').trim()
      const api = readFileSync(file('api-token'), 'utf8').trim()
      expect(statSync(file('dashboard-token')).mode & 0o777).toBe(0o600)
      expect(dashboard).not.toBe(api)
      expect((await read(generated.url, `/api/stats/pages?${RANGE}`, dashboard)).status).toBe(200)
      expect((await read(generated.url, '/api/v1/segments?site=shop', api)).status).toBe(200)
      expect((await read(generated.url, `/api/stats/pages?${RANGE}`, DASHBOARD_TOKEN)).status).toBe(401)
    } finally {
      await generated.close()
    }
  })
})

describe('input never becomes SQL', () => {
  const PAYLOADS = [
    "' OR 1=1 --",
    "shop'; DROP TABLE pages_daily; --",
    "brakes' UNION SELECT salt, salt, salt FROM salts --",
    '{site:String}',
    "\\' OR ''='",
    '1) OR (1=1',
    'brakes\u0000',
  ]
  const spoil = (name: string, payload: string) =>
    name === 'segment' ? `device=desktop|country=DE|source=*|category=${payload}` : payload

  it('in every parameter of every route: refused, or matched as a plain value', async () => {
    const openapi = (await read(service.url, '/api/openapi.json', null)).body as OpenApi
    const before = (await read(service.url, `/api/stats/pages?${RANGE}`)).body
    let tried = 0
    for (const [path, valid] of Object.entries(VALID)) {
      for (const { name } of openapi.paths[path]?.get.parameters ?? []) {
        for (const payload of PAYLOADS) {
          const answer = await read(
            service.url,
            `${path}?${qs({ ...valid.query, [name]: spoil(name, payload) })}`,
            valid.token,
          )
          const label = `${path} ${name}=${payload}`
          expect([200, 400], `${label}: ${JSON.stringify(answer.body)}`).toContain(answer.status)
          if (answer.status === 200) expect(answer.body.rows ?? [], label).toEqual([])
          expect(JSON.stringify(answer.body), label).not.toMatch(/stack|at .*\.ts:\d+|DB::Exception|salt/i)
          tried++
        }
      }
    }
    // Names of parameters are input too.
    const named = await read(service.url, `/api/stats/pages?${RANGE}&${encodeURIComponent("x' OR '1'='1")}=1`)
    expect(named.body).toMatchObject({
      error: 'invalid',
      message: expect.stringContaining('unknown parameter'),
    })
    expect(tried).toBeGreaterThan(200)
    // Nothing was dropped or changed.
    expect((await read(service.url, `/api/stats/pages?${RANGE}`)).body).toEqual(before)
    expect(figures(before)).toEqual({
      rows: [{ path: '/p/brakes', pageviews: 2, visitors: 2 }],
      suppressed: 0,
    })
    const salts = await warehouse.client.query({
      query: 'SELECT count() AS n FROM salts',
      format: 'JSONEachRow',
    })
    expect(await salts.json()).toEqual([{ n: 1 }])
  })
})

describe('GET /api/openapi.json', () => {
  it('documents every route from the zod schemas, without a token', async () => {
    const answer = await read(service.url, '/api/openapi.json', null)
    expect(answer.status).toBe(200)
    const doc = answer.body as OpenApi
    expect(doc.openapi).toMatch(/^3\./)
    const routes = service.app.routes
      .filter((route) => route.method === 'GET' && /^\/api\/(stats|v1)\//.test(route.path))
      .map((route) => route.path)
    expect(
      Object.keys(doc.paths)
        .filter((path) => /^\/api\/(stats|v1)\//.test(path))
        .sort(),
    ).toEqual(routes.sort())
    const names = (path: string) => doc.paths[path]?.get.parameters.map((parameter) => parameter.name)
    expect(names('/api/stats/pages')).toEqual(['site', 'from', 'to', 'source', 'device', 'country', 'limit'])
    expect(names('/api/stats/products')).toContain('category')
    expect(names('/api/v1/affinity')).toEqual(['site', 'product', 'limit'])
    expect(doc.components.securitySchemes).toEqual({
      dashboardToken: { type: 'http', scheme: 'bearer' },
      apiToken: { type: 'http', scheme: 'bearer' },
      adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, when set.' },
    })
    expect(JSON.stringify(doc.paths['/api/stats/pages'])).toContain('"suppressed"')
  })
})
