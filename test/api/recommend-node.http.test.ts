import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeRoute } from '../../api/released-node.ts'
import { ingestFirst } from '../../server/ingest-first.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { API_TOKEN, insertRows, recoOffer } from './support.ts'

// GET /api/v1/recommend has two adapters over one route (api/released-route.ts): the node:http
// route the server tries first (api/released-node.ts) and the Hono route behind it. Two services
// over one warehouse, one with each, get the same requests and must answer alike: status, body,
// and every header but the date.

const SITES = 'shop=https://shop.example,multi=https://multi.example'
const ENV = { SITES, API_TOKEN, DASHBOARD_TOKEN: 'dashboard-token-for-tests-0123456789', TRUST_PROXY: '1' }
const BEARER = `Bearer ${API_TOKEN}`

const cell = { device: 'mobile', country: 'DE', source: 'social', category: 'wipers' }
const rows = [
  ...['control', 'ship', 'pct'].map((variant, i) =>
    recoOffer({
      ...cell,
      segment: `device=mobile|country=DE|source=social|category=wipers`,
      offer_id: 'banner',
      variant,
      is_control: variant === 'control' ? 1 : 0,
      impressions: 300,
      conversions: [6, 30, 9][i],
      prob_best: [0.03, 0.95, 0.02][i],
      visitors: 40 + i,
    }),
  ),
  // Under K_ANON: a candidate the gate holds back (`suppressed`).
  recoOffer({
    device: 'tablet',
    country: '*',
    source: '*',
    category: '*',
    segment: 'device=tablet|country=*|source=*|category=*',
    offer_id: 'banner',
    variant: 'control',
    visitors: 2,
  }),
  // Two variants alike: choose=sample draws each about half the time.
  ...['control', 'ship'].map((variant) =>
    recoOffer({
      device: 'desktop',
      country: 'AT',
      source: 'direct',
      category: 'misc',
      segment: 'device=desktop|country=AT|source=direct|category=misc',
      offer_id: 'banner',
      variant,
      impressions: 100,
      conversions: 10,
      prob_best: 0.5,
      visitors: 30,
    }),
  ),
  ...['banner', 'popup'].map((offer_id) =>
    recoOffer({
      site: 'multi',
      device: '*',
      country: '*',
      source: '*',
      category: '*',
      segment: 'device=*|country=*|source=*|category=*',
      offer_id,
      variant: 'a',
      visitors: 30,
    }),
  ),
]

type Sent = { name: string; path: string; headers?: Array<[string, string]>; status: number; taken: boolean }

const q = (query: string) => `/api/v1/recommend?${query}`
const REQUESTS: Sent[] = [
  {
    name: 'own cell',
    path: q('site=shop&offer=banner&device=mobile&country=DE&source=social&category=wipers'),
    status: 200,
    taken: true,
  },
  {
    name: 'coarsened',
    path: q('site=shop&offer=banner&device=tablet&country=FR&source=paid&category=brakes'),
    status: 200,
    taken: true,
  },
  { name: 'site-wide fallback', path: q('site=shop&offer=banner&country=GB'), status: 200, taken: true },
  { name: 'nothing given', path: q('site=shop'), status: 200, taken: true },
  { name: 'unknown offer', path: q('site=shop&offer=nope'), status: 200, taken: true },
  {
    name: 'encoded value',
    path: q('site=shop&category=brake%20pads&country=D%45'),
    status: 200,
    taken: true,
  },
  { name: 'a double quote', path: q('site=shop&category="x"'), status: 200, taken: false },
  { name: 'unknown site', path: q('site=nope'), status: 400, taken: false },
  { name: 'bad dimension', path: q('site=shop&device=toaster'), status: 400, taken: false },
  { name: 'unknown parameter', path: q('site=shop&colour=red'), status: 400, taken: false },
  { name: 'repeated parameter', path: q('site=shop&site=shop'), status: 400, taken: false },
  { name: 'bad choose', path: q('site=shop&choose=worst'), status: 400, taken: false },
  // Decided by the route's handler, after the node:http route took it: passed to the app.
  { name: 'offer required', path: q('site=multi'), status: 400, taken: true },
  { name: 'missing token', path: q('site=shop'), headers: [], status: 401, taken: false },
  {
    name: 'wrong token',
    path: q('site=shop'),
    headers: [['authorization', 'Bearer not-the-token-0123456789']],
    status: 401,
    taken: false,
  },
  {
    name: 'two tokens',
    path: q('site=shop'),
    headers: [
      ['authorization', BEARER],
      ['authorization', BEARER],
    ],
    status: 401,
    taken: false,
  },
  { name: 'trailing slash', path: '/api/v1/recommend/?site=shop', status: 404, taken: false },
  { name: 'a fragment', path: `${q('site=shop')}#x`, status: 200, taken: false },
]

type Answer = { status: number; body: string; headers: Record<string, string> }

let warehouse: Warehouse
let dispose: () => Promise<void>
let nodeFirst: TestService
let honoOnly: TestService
const taken: string[] = []
const passed: string[] = []

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  const counting =
    (route: NodeRoute): NodeRoute =>
    (request, response, pass) => {
      const took = route(request, response, () => {
        passed.push(request.url ?? '')
        pass()
      })
      if (took) taken.push(request.url ?? '')
      return took
    }
  nodeFirst = await startService(warehouse, ENV, {
    createServer: (collector, app) => ingestFirst(collector.ingestNode, ...app.nodeRoutes.map(counting)),
  })
  honoOnly = await startService(warehouse, ENV, {
    createServer: (collector) => ingestFirst(collector.ingestNode),
  })
  // After the first start, which migrates the warehouse.
  await insertRows(warehouse, 'reco_offers', rows)
})
afterAll(async () => {
  await nodeFirst?.close()
  await honoOnly?.close()
  await dispose?.()
})

/**
 * One request over a fresh socket, headers as given (a repeated header stays two). The Host is one
 * a service on a usual port gets (the adapter takes it as it is; the test's own port may not be).
 */
function send(base: string, sent: Sent): Promise<Answer> {
  const { hostname, port } = new URL(base)
  const headers = [['host', 'localhost:8787'], ...(sent.headers ?? [['authorization', BEARER]])]
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port, path: sent.path, method: 'GET', headers: headers.flat(), agent: false },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => {
          body += chunk
        })
        response.on('end', () => {
          // The date, and a request id where the app's middleware ran, differ from call to call.
          const { date: _date, ...rest } = response.headers
          if (rest['x-request-id']) rest['x-request-id'] = 'an id'
          resolve({
            status: response.statusCode ?? 0,
            body,
            headers: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)])),
          })
        })
      },
    )
    request.on('error', reject)
    request.end()
  })
}

describe('the node:http and Hono adapters of GET /api/v1/recommend', () => {
  it('answer the same requests with the same status, body and headers', async () => {
    for (const sent of REQUESTS) {
      const before = taken.length
      const viaNode = await send(nodeFirst.url, sent)
      const viaHono = await send(honoOnly.url, sent)
      expect({ name: sent.name, ...viaNode }).toEqual({ name: sent.name, ...viaHono })
      expect({ name: sent.name, status: viaNode.status }).toEqual({ name: sent.name, status: sent.status })
      // Which adapter answered on the node-first service: the comparison above is between the two.
      expect({ name: sent.name, taken: taken.length > before }).toEqual({
        name: sent.name,
        taken: sent.taken,
      })
    }
    // Only the call the handler refused was handed back to the app after the route took it.
    expect(passed).toEqual([q('site=multi')])
  })

  it('send the headers that matter, and the same JSON errors naming the field', async () => {
    const ok = await send(nodeFirst.url, REQUESTS[0] as Sent)
    expect(ok.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
      'content-length': String(Buffer.byteLength(ok.body)),
    })
    expect(ok.headers['x-request-id']).toBeUndefined()
    expect(JSON.parse(ok.body)).toMatchObject({
      segment: { id: 'device=mobile|country=DE|source=social|category=wipers' },
      variant: 'ship',
      decision: 'recommended',
      suppressed: 0,
      release: 'k-threshold',
    })
    const errors = await Promise.all(
      ['unknown site', 'bad dimension', 'offer required', 'missing token'].map(async (name) => {
        const answer = await send(nodeFirst.url, REQUESTS.find((sent) => sent.name === name) as Sent)
        return [name, JSON.parse(answer.body)]
      }),
    )
    expect(Object.fromEntries(errors)).toEqual({
      'unknown site': { error: 'unknown_site', message: 'site: not a configured site', field: 'site' },
      'bad dimension': { error: 'invalid', message: expect.stringMatching(/^device: /), field: 'device' },
      'offer required': {
        error: 'invalid',
        message: 'offer: required when the site runs more than one offer',
        field: 'offer',
      },
      'missing token': { error: 'unauthorized', message: 'a valid bearer token is required' },
    })
    // The tablet segment's one variant is under K_ANON: held back, counted, never named.
    const coarse = JSON.parse((await send(nodeFirst.url, REQUESTS[1] as Sent)).body)
    expect(coarse).toMatchObject({ segment: { site_wide: true }, suppressed: 1 })
  })

  it('draw choose=sample afresh on every call, answered alike apart from the variant drawn', async () => {
    const sent: Sent = {
      name: 'sample',
      path: q('site=shop&offer=banner&device=desktop&country=AT&source=direct&category=misc&choose=sample'),
      status: 200,
      taken: true,
    }
    const drawn = new Set<string>()
    for (let i = 0; i < 60; i++) {
      const viaNode = await send(nodeFirst.url, sent)
      const viaHono = await send(honoOnly.url, sent)
      const [node, hono] = [JSON.parse(viaNode.body), JSON.parse(viaHono.body)]
      drawn.add(node.variant)
      expect({ ...node, variant: null }).toEqual({ ...hono, variant: null })
      expect(viaNode.headers).toEqual({
        ...viaHono.headers,
        'content-length': viaNode.headers['content-length'],
      })
    }
    // Two variants alike: 60 draws from one prepared answer would name one of them only.
    expect([...drawn].sort()).toEqual(['control', 'ship'])
  })
})
