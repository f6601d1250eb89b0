import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { isPublicDomain, releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS, measurement } from '../../aggregator/release/measurements.ts'
import { FUNNEL_STEPS } from '../../schemas/constants.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { DASHBOARD_TOKEN, read } from './support.ts'

/*
 * The commerce views (products, funnel, search, transitions, offers) answered from released
 * figures over real HTTP, with DP on in the service: published without noise (DP off at the
 * publish step, thresholds at K_ANON), every figure equals the truth worked out below; published
 * with noise, every released figure is within six of its published standard deviations of it.
 *
 * Each day, visitors 0..n-1 view bp-1 (brakes) coming from bp-0, see offer `spring` (variant A
 * when even, B when odd) and search "pads"; the first b of them cart bp-1, then view bp-2 (tyres)
 * from bp-1, search "xyz" (no results), check out and buy bp-1 (39.9) and two bp-2 (20 each),
 * credited to their variant; the first three click the offer; visitor 0 also views bp-9, searches
 * "rare" and refunds one bp-2. Revenue is released in whole units per day.
 */

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

const K = 5
const DAYS = ['2026-05-04', '2026-05-05']
const NOW = new Date('2026-05-06T00:30:00Z')
const RANGE = `from=${DAYS[0]}&to=${DAYS[1]}`
type Shape = { n: readonly number[]; b: number }
const EXACT: Shape = { n: [10, 12], b: 6 }
const LARGE: Shape = { n: [60, 72], b: 28 }

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  service = await startService(warehouse, {
    DP_EPSILON: '1',
    K_ANON: String(K),
    DASHBOARD_TOKEN,
    SITES: 'exact=https://exact.example,noisy=https://noisy.example,faint=https://faint.example',
  })
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const brakes = { item_ids: ['bp-1', 'bp-2'], item_categories: ['brakes', 'tyres'] }
const order = { ...brakes, item_prices: [39.9, 20], item_quantities: [1, 2], revenue: 79.9, currency: 'EUR' }

function events(site: string, { n, b }: Shape): EventRow[] {
  return DAYS.flatMap((day, d) =>
    Array.from({ length: n[d] ?? 0 }, (_, v) => {
      const base = { site, hour: `${day} 10:00:00`, visitor: String(1_000 * (d + 1) + v) }
      const offer = { offer_id: 'spring', offer_variant: v % 2 === 0 ? 'A' : 'B' }
      const rows = [
        row({
          ...base,
          type: 'product_view',
          product_id: 'bp-1',
          category: 'brakes',
          prev_product_id: 'bp-0',
        }),
        row({ ...base, type: 'offer_impression', ...offer }),
        row({ ...base, type: 'search', search_query: 'pads', search_results: 3 }),
      ]
      if (v < 3) rows.push(row({ ...base, type: 'offer_click', ...offer }))
      if (v < b) {
        rows.push(
          row({ ...base, type: 'add_to_cart', product_id: 'bp-1', category: 'brakes', ...offer }),
          row({
            ...base,
            type: 'product_view',
            product_id: 'bp-2',
            category: 'tyres',
            prev_product_id: 'bp-1',
            prev_category: 'brakes',
          }),
          row({ ...base, type: 'search', search_query: 'xyz', search_results: 0 }),
          row({ ...base, type: 'checkout', ...order, ...offer }),
          row({ ...base, type: 'purchase', ...order, ...offer }),
        )
      }
      if (v === 0) {
        rows.push(
          row({ ...base, type: 'product_view', product_id: 'bp-9', category: 'misc' }),
          row({ ...base, type: 'search', search_query: 'rare', search_results: 1 }),
          row({
            ...base,
            type: 'refund',
            revenue: -20,
            item_ids: ['bp-2'],
            item_categories: ['tyres'],
            item_prices: [20],
            item_quantities: [1],
          }),
        )
      }
      return rows
    }).flat(),
  )
}

/** The figures each view should show, worked out from the story above. */
function truth({ n, b }: Shape) {
  const days = n.length
  const visitors = n.reduce((sum, count) => sum + count, 0)
  const buyers = b * days
  const perDay = (value: number) => Math.round(value) * days
  const half = (count: number, even: boolean) => (even ? Math.ceil(count / 2) : Math.floor(count / 2))
  const variant = (even: boolean) => ({
    offer_id: 'spring',
    variant: even ? 'A' : 'B',
    impressions: n.reduce((sum, count) => sum + half(count, even), 0),
    clicks: (even ? 2 : 1) * days,
    carts: half(b, even) * days,
    checkouts: half(b, even) * days,
    purchases: half(b, even) * days,
    revenue: perDay(half(b, even) * 79.9),
    visitors: n.reduce((sum, count) => sum + half(count, even), 0),
  })
  const step = (name: string, events: number, stepVisitors: number, revenue = 0) => ({
    step: name,
    events,
    visitors: stepVisitors,
    revenue,
  })
  return {
    products: [
      {
        product_id: 'bp-1',
        category: 'brakes',
        views: visitors,
        carts: buyers,
        removals: 0,
        checkouts: buyers,
        purchases: buyers,
        quantity: buyers,
        revenue: perDay(b * 39.9),
        visitors,
      },
      {
        product_id: 'bp-2',
        category: 'tyres',
        views: buyers,
        carts: 0,
        removals: 0,
        checkouts: buyers,
        purchases: buyers,
        quantity: 2 * buyers,
        revenue: perDay(b * 40 - 20),
        visitors: buyers,
      },
    ],
    funnel: [
      step('product_view', visitors + buyers + days, visitors),
      step('add_to_cart', buyers, buyers),
      step('checkout', buyers, buyers, perDay(b * 79.9)),
      step('shipping_info', 0, 0),
      step('payment_info', 0, 0),
      step('purchase', buyers, buyers, perDay(b * 79.9)),
      step('refund', days, days, -20 * days),
    ],
    search: [
      { query: 'pads', searches: visitors, zero_results: 0, visitors },
      { query: 'xyz', searches: buyers, zero_results: buyers, visitors: buyers },
    ],
    transitions: [
      {
        from_product: 'bp-0',
        // bp-0 is never viewed itself, so no released cell names its category.
        from_category: '',
        to_product: 'bp-1',
        to_category: 'brakes',
        transitions: visitors,
        visitors,
      },
      {
        from_product: 'bp-1',
        from_category: 'brakes',
        to_product: 'bp-2',
        to_category: 'tyres',
        transitions: buyers,
        visitors: buyers,
      },
    ],
    offers: [variant(true), variant(false)],
  }
}

type Row = Record<string, unknown> & { sd: Record<string, number> }
type Body = { rows: Row[]; suppressed: unknown; release: string; privacy: { mechanism: string } }

const view = async (site: string, name: string, extra = '') => {
  const answer = await read<Body>(service.url, `/api/stats/${name}?site=${site}&${RANGE}${extra}`)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

// The site's currency (CURRENCIES, EUR by default) rides on every row with revenue.
const withoutNoise = (rows: readonly Row[]) =>
  rows.map(({ sd: _sd, ...rest }) => {
    if (!('revenue' in rest)) return rest
    expect(rest.currency).toBe('EUR')
    const { currency: _currency, ...figures } = rest
    return figures
  })

describe('commerce views from released figures', () => {
  it('with noiseless publication: every figure is the truth, every row says its noise, every step is there', async () => {
    await insertEvents(warehouse, events('exact', EXACT))
    const plan = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K)
    await publishReleases(warehouse, NOW, { plan, grains: ['day'] })
    const expected = truth(EXACT)
    for (const name of ['products', 'search', 'transitions', 'offers'] as const) {
      const body = await view('exact', name)
      expect(body.release, name).toBe('differential-privacy')
      expect(body.suppressed, name).toBeNull()
      // bp-9, "rare": one visitor a day, below K_ANON, never published.
      expect(withoutNoise(body.rows), name).toEqual(expected[name])
      for (const item of body.rows)
        expect(
          Object.values(item.sd).every((sd) => sd === 0),
          name,
        ).toBe(true)
    }
    const funnel = await view('exact', 'funnel')
    expect(funnel.rows.map((item) => item.step)).toEqual([...FUNNEL_STEPS])
    expect(funnel.rows.every((item) => item.currency === 'EUR')).toBe(true)
    expect(
      funnel.rows.map(({ step, events, visitors, revenue }) => ({ step, events, visitors, revenue })),
    ).toEqual(expected.funnel)
    // Rates over released step visitors: drop-off from the nearest step with visitors.
    const rates = Object.fromEntries(funnel.rows.map((item) => [item.step, [item.drop_off, item.conversion]]))
    expect(rates).toEqual({
      product_view: [null, 1],
      add_to_cart: [0.4545, 0.5455],
      checkout: [0, 0.5455],
      shipping_info: [1, 0],
      payment_info: [1, 0],
      purchase: [0, 0.5455],
      refund: [0.8333, 0.0909],
    })
    // Leaving one product; a limit after the order.
    expect(withoutNoise((await view('exact', 'transitions', '&product=bp-1')).rows)).toEqual([
      expected.transitions[1],
    ])
    expect((await view('exact', 'products', '&limit=1')).rows.map((item) => item.product_id)).toEqual([
      'bp-1',
    ])
  })

  it('refuses every filter, category included: no grouping set of these figures is released by one', async () => {
    for (const [name, filter] of [
      ['products', 'category=brakes'],
      ['funnel', 'category=brakes'],
      ['offers', 'country=DE'],
      ['transitions', 'device=mobile'],
      ['search', 'source=search'],
    ] as const) {
      const answer = await read<{ error: string; field: string }>(
        service.url,
        `/api/stats/${name}?site=exact&${RANGE}&${filter}`,
      )
      expect(answer.status, name).toBe(400)
      expect(answer.body, name).toMatchObject({ error: 'unsupported_filter', field: filter.split('=')[0] })
    }
  })

  it('with noise: every released figure within six published standard deviations of the truth', async () => {
    await insertEvents(warehouse, events('noisy', LARGE))
    // A large ε so that groups of a few dozen visitors pass their thresholds; the noise is real.
    const plan = releasePlan(MEASUREMENTS, privacyFrom(3000, 1e-7, false), K)
    await publishReleases(warehouse, NOW, { plan, grains: ['day'] })
    const expected = truth(LARGE)
    for (const name of ['products', 'search', 'transitions', 'offers', 'funnel'] as const) {
      const rows = (await view('noisy', name)).rows
      expect(rows.length, name).toBe(expected[name].length)
      for (const [index, want] of expected[name].entries()) {
        const got = rows.find((item) =>
          Object.entries(want).every(([field, value]) => typeof value !== 'string' || item[field] === value),
        )
        if (!got) throw new Error(`${name}: no row ${JSON.stringify(want)} (row ${index})`)
        for (const [field, value] of Object.entries(want)) {
          if (typeof value === 'string') continue
          const sd = got.sd[field] ?? 0
          expect(sd, `${name} ${field}`).toBeGreaterThan(0)
          expect(Math.abs((got[field] as number) - value), `${name} ${field}`).toBeLessThan(6 * sd)
        }
      }
    }
  })

  it('at ε = 1 a small shop gets its funnel, every step with its noise, and none of its small lists', async () => {
    await insertEvents(warehouse, events('faint', EXACT))
    const plan = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), K)
    await publishReleases(warehouse, NOW, { plan, grains: ['day'] })
    const funnel = (await view('faint', 'funnel')).rows
    expect(funnel.map((item) => item.step)).toEqual([...FUNNEL_STEPS])
    for (const [index, want] of truth(EXACT).funnel.entries()) {
      const got = funnel[index] as Row
      expect(got.sd.visitors).toBeGreaterThan(0)
      expect(Math.abs((got.visitors as number) - want.visitors)).toBeLessThan(6 * (got.sd.visitors ?? 0))
    }
    for (const name of ['products', 'search', 'transitions', 'offers']) {
      expect((await view('faint', name)).rows, name).toEqual([])
    }
  })
})

describe('the commerce measurements', () => {
  it('release the funnel as a public domain and threshold every list, with modest weights', () => {
    const plan = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), K)
    const ids = ['products', 'funnel', 'search', 'transitions', 'offers']
    for (const id of ids) expect(Object.keys(measurement(id).groupings), id).toEqual([''])
    expect(isPublicDomain(measurement('funnel'), '')).toBe(true)
    expect(measurement('funnel').domain).toEqual(FUNNEL_STEPS)
    // Together under 5 % of ρ: the headline keeps its noise.
    const spent = plan.groupings
      .filter((item) => ids.includes(item.measurement.id))
      .reduce((sum, item) => sum + item.measures.reduce((total, measure) => total + measure.rho, 0), 0)
    expect(spent).toBeGreaterThan(0)
    expect(spent / plan.rho).toBeLessThan(0.05)
    // Sensitivities from the contribution bounds (aggregator/release/measurements.ts).
    const l2 = (id: string, name: string) => measurement(id).measures.find((m) => m.name === name)?.l2
    expect(l2('products', 'visitors')).toBeCloseTo(Math.sqrt(90), 9)
    expect(l2('products', 'checkouts')).toBe(30)
    expect(l2('products', 'revenue')).toBe(4_000)
    expect(l2('funnel', 'visitors')).toBeCloseTo(Math.sqrt(7), 9)
    expect(l2('funnel', 'events')).toBeCloseTo(Math.sqrt(160), 9)
    expect(l2('offers', 'visitors')).toBe(5)
    expect(measurement('offers').where).toContain("'offer_impression'")
  })
})
