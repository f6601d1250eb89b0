import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { RECO_ROUTES } from '../../api/reco-routes.ts'
import { isReleasedHandler } from '../../api/released-route.ts'
import { STATS_ROUTES } from '../../api/stats-routes.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  API_TOKEN,
  DASHBOARD_TOKEN,
  ev,
  figures,
  IPHONE_UA,
  insertRows,
  type Person,
  type ReadService,
  read,
  recoOffer,
  SHOP,
  send,
  startReadService,
} from './support.ts'

/*
 * Every route of the read API, found by walking the app's own route table, holds back a group
 * smaller than K_ANON and releases one that is not. The data has, for every view, one group of
 * three visitors (on 2026-03-10) and one group of a single visitor (on 2026-03-11) whose labels
 * appear nowhere else; a route that let the small group out would show one of those labels.
 */

const K = 3
const CROWD: Person[] = [1, 2, 3].map((n) => ({ ip: `198.51.100.${n}`, country: 'DE' }))
const LONER: Person = { ip: '198.51.100.99', country: 'FR', ua: IPHONE_UA }
const LONER_LABELS = [
  '/small',
  'social',
  'facebook',
  'mobile',
  'Safari',
  'iOS',
  '"FR"',
  'bp-8',
  'bp-9',
  'tyres',
  'rare',
  'o2',
  '2026-03-11',
  '"purchase"',
  'p-small',
  'seg-small',
]

const RANGE = 'site=shop&from=2026-03-10&to=2026-03-11'
// A page's engagement, a click out, a download, a page not found and a custom event with a property.
const visitExtras = (page: string, out: string, missing: string, goal: string, plan: string) => [
  { type: 'engagement', site: 'shop', url: `${SHOP}/${page}`, ms: 5000, scroll: 80, scroll_from: 0 },
  { type: 'outbound', site: 'shop', url: `${SHOP}/${page}`, link: out },
  { type: 'download', site: 'shop', url: `${SHOP}/${page}`, link: `${SHOP}/files/${page}.pdf` },
  { type: 'not_found', site: 'shop', url: `${SHOP}/${missing}` },
  { type: 'custom', site: 'shop', url: `${SHOP}/${page}`, name: goal, props: { plan } },
]
// Per route: the query whose answer must hold a released group and a held-back one, and the token.
const CASES: Record<string, { query: string; token: string }> = {
  '/api/stats/overview': { query: 'site=shop&from=2026-03-11&to=2026-03-11', token: DASHBOARD_TOKEN },
  '/api/stats/timeseries': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/pages': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/sources': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/devices': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/browsers': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/os': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/countries': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/products': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/funnel': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/transitions': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/offers': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/search': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/entry-pages': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/exit-pages': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/engagement': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/outbound-links': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/downloads': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/not-found': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/new-returning': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/custom-events': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/stats/custom-props': { query: RANGE, token: DASHBOARD_TOKEN },
  '/api/v1/affinity': { query: 'site=shop&product=p1', token: API_TOKEN },
  '/api/v1/recommend': {
    query: 'site=shop&offer=o-big&device=desktop&country=DE&source=direct&category=brakes',
    token: API_TOKEN,
  },
  '/api/v1/offers': {
    query: 'site=shop&segment=device%3Ddesktop%7Ccountry%3DDE%7Csource%3D*%7Ccategory%3Dbrakes',
    token: API_TOKEN,
  },
  '/api/v1/segments': { query: 'site=shop', token: API_TOKEN },
}
// One group per answer, released or held back whole: its both sides are in test/api/visitors-now.test.ts.
const SINGLE_GROUP = ['/api/stats/now']
// The extra views of routes that take a dimension or a bucket size.
const VARIANTS: Record<string, string[]> = {
  '/api/stats/timeseries': ['&interval=hour'],
  '/api/stats/sources': ['&by=referrer_host'],
}

// Fields of every answer that are not figures: the gate's count and the answer's metadata.
const META = ['suppressed', 'privacy', 'release']

const RESPONSES = new Map<string, z.ZodType>([
  ...STATS_ROUTES.map((route) => [`/api/stats${route.doc.path}`, route.doc.response] as const),
  ...RECO_ROUTES.map((route) => [`/api/v1${route.doc.path}`, route.doc.response] as const),
])

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: ReadService
/** The same data with DP on: the routes that have released figures answer from them. */
let dpService: ReadService

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startReadService(warehouse, { K_ANON: String(K) })
  dpService = await startReadService(warehouse, { K_ANON: String(K), DP_EPSILON: '1' })
  service.setNow('2026-03-10T10:00:00Z')
  for (const [n, person] of CROWD.entries()) {
    await send(service.url, person, [
      ev.pageview('/big', { referrer: 'https://www.google.com/', visit_page: 1, returning: false }),
      ...visitExtras('big', 'https://www.brembo.com/pads', 'gone', 'signup', 'pro'),
      ev.productView('bp-1', 'brakes', { id: 'bp-0', category: 'brakes' }),
      ev.addToCart('bp-1', 'brakes'),
      ev.checkout([{ id: 'bp-1', category: 'brakes', price: 10, quantity: 1 }]),
      // One buyer: the purchase step is a group of one inside the crowd's day.
      ...(n === 0 ? [ev.purchase([{ id: 'bp-1', category: 'brakes', price: 10, quantity: 1 }])] : []),
      ev.search('pads', 3),
      ev.offer('offer_impression', 'o1', 'A'),
    ])
  }
  service.setNow('2026-03-11T08:00:00Z')
  await send(service.url, LONER, [
    ev.pageview('/small', { referrer: 'https://www.facebook.com/', visit_page: 1, returning: true }),
    ...visitExtras('small', 'https://rare.example/', 'small', 'rare', 'rare'),
    ev.productView('bp-9', 'tyres', { id: 'bp-8', category: 'tyres' }),
    ev.search('rare', 0),
    ev.offer('offer_impression', 'o2', 'B'),
  ])
  await service.flush()

  const computed_at = '2026-03-12 06:00:00'
  const affinity = {
    site: 'shop',
    product_id: 'p1',
    next_category: 'brakes',
    transitions: 40,
    lift: 2,
    computed_at,
  }
  await insertRows(warehouse, 'reco_affinity', [
    { ...affinity, next_product_id: 'p2', rank: 1, visitors: 30 },
    { ...affinity, next_product_id: 'p-small', rank: 2, visitors: 2 },
  ])
  await insertRows(warehouse, 'reco_offers', [
    recoOffer({ offer_id: 'o-big', visitors: 50 }),
    recoOffer({ offer_id: 'p-small', visitors: 2, is_best: 0 }),
    // A variant too small to release beside a large one, in the segment /recommend resolves its
    // visitor to: it must be held back there, and neither offered nor added to any total.
    ...[
      { variant: 'A', visitors: 50 },
      { variant: 'tiny-variant', visitors: 2, is_best: 0 },
    ].map((arm) =>
      recoOffer({
        offer_id: 'o-big',
        segment: 'device=desktop|country=DE|source=*|category=*',
        category: '*',
        ...arm,
      }),
    ),
  ])
  const segment = {
    site: 'shop',
    device: 'desktop',
    country: 'DE',
    source: '*',
    category: 'brakes',
    computed_at,
  }
  await insertRows(warehouse, 'reco_segments', [
    { ...segment, segment: 'device=desktop|country=DE|source=*|category=brakes', visitors: 50 },
    { ...segment, segment: 'seg-small', visitors: 1 },
  ])
})

afterAll(async () => {
  await dpService?.close()
  await service?.close()
  await disposeWarehouse?.()
})

const readApiRoutes = () =>
  service.app.routes.filter(
    (route) => route.path.startsWith('/api/stats') || route.path.startsWith('/api/v1'),
  )

describe(`k-anonymity (K_ANON=${K}) over every route of the read API`, () => {
  it('serves only routes declared through releasedRoute, and a case covers each', () => {
    const routes = readApiRoutes()
    const served = routes.filter((route) => route.method !== 'ALL')
    for (const route of served) {
      expect(route.method, route.path).toBe('GET')
      expect(isReleasedHandler(route.handler), `${route.path} bypasses releasedRoute`).toBe(true)
    }
    // Anything else mounted under the prefixes is the token check, on every path: first that of
    // /api/v1/recommend, served ahead of the server's middleware (it checks that path only), then
    // the dashboard's and the other /api/v1 routes'.
    expect(routes.filter((route) => route.method === 'ALL').map((route) => route.path)).toEqual([
      '/api/v1/*',
      '/api/stats/*',
      '/api/v1/*',
    ])
    expect(served.map((route) => route.path).sort()).toEqual([...Object.keys(CASES), ...SINGLE_GROUP].sort())
  })

  it('holds back every small group and releases the large ones, on every route', async () => {
    const checked: string[] = []
    for (const route of readApiRoutes().filter((candidate) => candidate.method === 'GET')) {
      if (SINGLE_GROUP.includes(route.path)) continue
      const testCase = CASES[route.path]
      if (!testCase) throw new Error(`no k-anonymity case for ${route.path}`)
      for (const variant of ['', ...(VARIANTS[route.path] ?? [])]) {
        const label = `${route.path}?${testCase.query}${variant}`
        const answer = await read(service.url, `${route.path}?${testCase.query}${variant}`, testCase.token)
        expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBe(200)
        const body = answer.body
        // The answer has the documented shape, so `rows` / the named groups are all there is.
        expect(RESPONSES.get(route.path)?.safeParse(body).error, label).toBeUndefined()
        // Every answer states the configured guarantee (here DP_EPSILON=off, as the test service
        // runs), and that it is served by the k gate, which no guarantee covers (answer-meta.ts).
        expect(body.privacy, label).toMatchObject({ mechanism: 'off', epsilon: null, delta: null })
        expect(body.release, label).toBe('k-threshold')
        // /recommend answers one object made of released groups; its `visitors` are theirs.
        const groups = Array.isArray(body.rows)
          ? (body.rows as Array<{ visitors: number }>)
          : 'allocation' in body
            ? [body as { visitors: number }]
            : Object.entries(body)
                .filter(([name, value]) => !META.includes(name) && value !== null)
                .map(([, value]) => value as { visitors: number })
        expect(groups.length, `${label} released nothing`).toBeGreaterThan(0)
        for (const group of groups) expect(group.visitors, label).toBeGreaterThanOrEqual(K)
        expect(body.suppressed, `${label} suppressed nothing`).toBeGreaterThanOrEqual(1)
        const text = JSON.stringify(body)
        for (const canary of LONER_LABELS) expect(text, `${label} shows ${canary}`).not.toContain(canary)
        expect(text, `${label} shows a variant under K_ANON`).not.toContain('tiny-variant')
        checked.push(label)
      }
    }
    expect(checked).toHaveLength(Object.keys(CASES).length + Object.values(VARIANTS).flat().length)
  })

  it('holds back the overview whole, and its small parts inside a released one', async () => {
    const answer = await read(service.url, '/api/stats/overview?site=shop&from=2026-03-11&to=2026-03-11')
    expect(answer.body).toMatchObject({ current: null, suppressed: 1 })
    // The previous day's crowd is released; its single buyer is not.
    expect(answer.body.previous).toMatchObject({ visitors: 3, revenue: null, conversion_rate: null })
    expect(Object.keys((answer.body.previous as { events: object }).events)).not.toContain('purchase')
  })

  it('gives no rate that would reveal a held-back funnel step', async () => {
    const answer = await read(service.url, `/api/stats/funnel?${RANGE}&category=brakes`)
    expect(figures(answer.body)).toEqual({
      rows: [
        {
          step: 'product_view',
          events: 3,
          revenue: 0,
          currency: 'EUR',
          visitors: 3,
          drop_off: null,
          conversion: 1,
        },
        {
          step: 'add_to_cart',
          events: 3,
          revenue: 0,
          currency: 'EUR',
          visitors: 3,
          drop_off: 0,
          conversion: 1,
        },
        {
          step: 'checkout',
          events: 3,
          revenue: 30,
          currency: 'EUR',
          visitors: 3,
          drop_off: 0,
          conversion: 1,
        },
      ],
      suppressed: 1,
    })
  })
})

// The routes that answer from released figures with DP on; the list may only grow. Every other
// route is still served by the k gate, and says so.
const DIFFERENTIALLY_PRIVATE = [
  '/api/stats/overview',
  '/api/stats/timeseries',
  '/api/stats/pages',
  '/api/stats/sources',
  '/api/stats/devices',
  '/api/stats/browsers',
  '/api/stats/os',
  '/api/stats/countries',
  '/api/stats/entry-pages',
  '/api/stats/exit-pages',
  '/api/stats/engagement',
  '/api/stats/outbound-links',
  '/api/stats/downloads',
  '/api/stats/not-found',
  '/api/stats/new-returning',
  '/api/stats/custom-events',
  '/api/stats/custom-props',
  '/api/stats/now',
  '/api/stats/products',
  '/api/stats/funnel',
  '/api/stats/transitions',
  '/api/stats/offers',
  '/api/stats/search',
  // The insights snapshots, made of released cells with DP on (aggregator/insights/snapshot.ts).
  '/api/v1/affinity',
  '/api/v1/offers',
  '/api/v1/recommend',
  '/api/v1/segments',
]

describe('every route of the read API with DP on (DP_EPSILON=1)', () => {
  it('says which answers are released figures and which the k gate serves, on every route', async () => {
    const released: string[] = []
    for (const route of readApiRoutes().filter((candidate) => candidate.method === 'GET')) {
      // Visitors now takes the site alone; it is served by the k gate whatever DP_EPSILON says.
      const testCase = SINGLE_GROUP.includes(route.path)
        ? { query: 'site=shop', token: DASHBOARD_TOKEN }
        : CASES[route.path]
      if (!testCase) throw new Error(`no case for ${route.path}`)
      for (const variant of ['', ...(VARIANTS[route.path] ?? [])]) {
        const label = `${route.path}?${testCase.query}${variant}`
        const answer = await read(dpService.url, label, testCase.token)
        expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBe(200)
        const body = answer.body
        expect(RESPONSES.get(route.path)?.safeParse(body).error, label).toBeUndefined()
        expect(body.privacy, label).toEqual({ mechanism: 'discrete-gaussian', epsilon: 1, delta: 1e-7 })
        if (body.release === 'differential-privacy') {
          // Nothing was published here, so nothing is shown, and how much was held back is unknown.
          expect(body.suppressed, label).toBeNull()
          const text = JSON.stringify(body)
          // The range asked for is echoed back (the overview's `from` and `to`): not a figure.
          for (const canary of LONER_LABELS.filter((label_) => !label.includes(label_))) {
            expect(text, `${label} shows ${canary}`).not.toContain(canary)
          }
          if (!variant) released.push(route.path)
        } else {
          expect(body.release, label).toBe('k-threshold')
          expect(body.suppressed, label).toEqual(expect.any(Number))
        }
      }
    }
    expect(released.sort()).toEqual([...DIFFERENTIALLY_PRIVATE].sort())
  })
})
