import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { rows } from './support.ts'

let warehouse: Warehouse
let dispose: () => Promise<void>

const NOW = new Date('2026-11-20T12:00:00Z')
const K = 5
// Old days are finalized before the insights run, recent ones still have sketches.
const DAYS = ['2026-11-12', '2026-11-16', '2026-11-19', '2026-11-20']
const IMPRESSIONS = 600

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Cell = { device: string; country: string; source: string; category: string }
const MOBILE_DE: Cell = { device: 'mobile', country: 'DE', source: 'search', category: 'brakes' }
const DESKTOP_FR: Cell = { device: 'desktop', country: 'FR', source: 'direct', category: 'tyres' }
// True conversion rates per arm: the best arm differs between the two segments.
const TRUE_RATES: [Cell, string, string, number][] = [
  [MOBILE_DE, 'spring', 'control', 0.05],
  [MOBILE_DE, 'spring', 'b', 0.13],
  [MOBILE_DE, 'winter', 'a', 0.08],
  [DESKTOP_FR, 'spring', 'control', 0.1],
  [DESKTOP_FR, 'spring', 'b', 0.04],
  [DESKTOP_FR, 'winter', 'a', 0.2],
]

let nextVisitor = 1000
const generated = new Map<string, number>()

function armEvents(cell: Cell, offer: string, variant: string, rate: number, draw: () => number): EventRow[] {
  const events: EventRow[] = []
  let conversions = 0
  for (let i = 0; i < IMPRESSIONS; i++) {
    const base = {
      ...cell,
      visitor: String(nextVisitor++),
      hour: `${DAYS[i % DAYS.length]} 10:00:00`,
      offer_id: offer,
      offer_variant: variant,
    }
    events.push(row({ ...base, type: 'offer_impression' }))
    if (draw() < rate * 2) events.push(row({ ...base, type: 'offer_click' }))
    if (draw() < rate) {
      conversions++
      events.push(row({ ...base, type: 'purchase', revenue: 50, currency: 'EUR' }))
    }
  }
  generated.set(`${cell.device}/${offer}/${variant}`, conversions)
  return events
}

/** `visitors` distinct visitors who each view `to` right after `from`. */
function transitions(from: string, to: string, visitors: number): EventRow[] {
  return Array.from({ length: visitors }, (_, i) =>
    row({
      visitor: String(nextVisitor++),
      hour: `${DAYS[i % DAYS.length]} 11:00:00`,
      type: 'product_view',
      product_id: to,
      category: `${to}-category`,
      prev_product_id: from,
      prev_category: `${from}-category`,
    }),
  )
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  const draw = random(42)
  const events = TRUE_RATES.flatMap(([cell, offer, variant, rate]) =>
    armEvents(cell, offer, variant, rate, draw),
  )
  // Three tablet visitors' cells of two visitors each: too small alone, enough pooled.
  for (const country of ['DE', 'FR', 'IT']) {
    for (let i = 0; i < 2; i++) {
      const cell = { device: 'tablet', country, source: 'social', category: 'oil' }
      events.push(
        row({
          ...cell,
          visitor: String(nextVisitor++),
          type: 'offer_impression',
          offer_id: 'spring',
          offer_variant: 'control',
          hour: '2026-11-19 09:00:00',
        }),
      )
    }
  }
  // One visitor on a device nobody else uses: never released.
  events.push(
    row({
      device: 'other',
      country: 'SE',
      visitor: '7',
      type: 'offer_impression',
      offer_id: 'spring',
      offer_variant: 'b',
    }),
  )
  events.push(
    ...transitions('bp-1', 'bp-2', 20),
    ...transitions('bp-1', 'bp-3', 10),
    ...transitions('bp-4', 'bp-2', 10),
    ...transitions('bp-1', 'bp-9', 2),
  )
  await insertEvents(warehouse, events)
  await finalizeSketches(warehouse, NOW)
})
afterAll(async () => {
  await dispose?.()
})

type OfferRow = {
  segment: string
  offer_id: string
  variant: string
  is_control: number
  impressions: number
  conversions: number
  visitors: number
  conversion_rate: number
  ci_low: number
  ci_high: number
  uplift: number
  prob_best: number
  is_best: number
}

const latest = (table: string, columns: string) =>
  rows<Record<string, unknown>>(
    warehouse,
    `SELECT ${columns} FROM ${table} FINAL
     WHERE site = 'demo' AND computed_at = (SELECT max(computed_at) FROM ${table} WHERE site = 'demo')
     ORDER BY ${columns.split(',')[0]}`,
  )

describe('insights', () => {
  it('segments visitors, coarsening small cells and releasing nothing under k', async () => {
    const report = await computeInsights(warehouse, NOW, { kAnon: K })
    expect(report).toMatchObject({ skipped: false, window: { from: '2026-10-22', to: '2026-11-20' } })
    const segments = await latest('reco_segments', 'segment, visitors')
    expect(segments.map((segment) => segment.segment)).toEqual([
      'device=desktop|country=FR|source=direct|category=tyres',
      'device=mobile|country=DE|source=search|category=brakes',
      'device=tablet|country=*|source=*|category=*',
    ])
    expect(segments[2]?.visitors).toBe(6)
    expect(report.suppressedCells).toBe(1)
    for (const table of ['reco_segments', 'reco_offers', 'reco_affinity']) {
      const [small] = await rows<{ n: number }>(
        warehouse,
        `SELECT count() AS n FROM ${table} WHERE visitors < ${K}`,
      )
      expect(small?.n, table).toBe(0)
    }
  })

  it('picks the arm with the highest true conversion rate as best in each segment', async () => {
    const offers = (await latest(
      'reco_offers',
      'segment, offer_id, variant, is_control, impressions, conversions, visitors, conversion_rate, ci_low, ci_high, uplift, prob_best, is_best',
    )) as OfferRow[]
    const best = offers.filter((offer) => offer.is_best === 1).map((o) => [o.segment, o.offer_id, o.variant])
    expect(best).toEqual([
      ['device=desktop|country=FR|source=direct|category=tyres', 'winter', 'a'],
      ['device=mobile|country=DE|source=search|category=brakes', 'spring', 'b'],
      ['device=tablet|country=*|source=*|category=*', 'spring', 'control'],
    ])
    for (const offer of offers.filter((o) => o.is_best === 1 && !o.segment.startsWith('device=tablet'))) {
      expect(offer.prob_best).toBeGreaterThan(0.95)
    }
    const mobile = offers.filter((offer) => offer.segment.startsWith('device=mobile'))
    expect(mobile.reduce((sum, offer) => sum + offer.prob_best, 0)).toBeCloseTo(1, 6)
    for (const [cell, offer, variant, rate] of TRUE_RATES) {
      const found = offers.find(
        (o) =>
          o.segment.startsWith(`device=${cell.device}|`) && o.offer_id === offer && o.variant === variant,
      )
      const conversions = generated.get(`${cell.device}/${offer}/${variant}`) ?? -1
      expect(found).toMatchObject({
        impressions: IMPRESSIONS,
        conversions,
        is_control: variant === 'b' ? 0 : 1,
      })
      expect(found?.conversion_rate).toBeCloseTo(conversions / IMPRESSIONS, 12)
      // The true rate lies in the 95% interval (for this seed, in all six arms).
      expect(found?.ci_low).toBeLessThan(rate)
      expect(found?.ci_high).toBeGreaterThan(rate)
      expect(found?.visitors).toBeGreaterThanOrEqual(K)
    }
    const springB = mobile.find((o) => o.offer_id === 'spring' && o.variant === 'b')
    const springControl = mobile.find((o) => o.offer_id === 'spring' && o.variant === 'control')
    expect(springB?.uplift).toBeCloseTo(
      ((springB?.conversion_rate ?? 0) - (springControl?.conversion_rate ?? 0)) /
        (springControl?.conversion_rate ?? 1),
      9,
    )
  })

  it('ranks next products by lift over releasable pairs', async () => {
    const affinity = await latest(
      'reco_affinity',
      'product_id, next_product_id, next_category, rank, transitions, visitors, lift',
    )
    // bp-1 → bp-9 (2 visitors) is left out. Over the rest: T = 40, T(bp-1→·) = 30, T(·→bp-2) = 30.
    const ranked = affinity
      .filter((row) => row.product_id === 'bp-1')
      .sort((x, y) => Number(x.rank) - Number(y.rank))
    expect(ranked).toEqual([
      {
        product_id: 'bp-1',
        next_product_id: 'bp-3',
        next_category: 'bp-3-category',
        rank: 1,
        transitions: 10,
        visitors: 10,
        lift: expect.closeTo(10 / 30 / (10 / 40), 12),
      },
      {
        product_id: 'bp-1',
        next_product_id: 'bp-2',
        next_category: 'bp-2-category',
        rank: 2,
        transitions: 20,
        visitors: 20,
        lift: expect.closeTo(20 / 30 / (30 / 40), 12),
      },
    ])
    expect(affinity.filter((row) => row.product_id === 'bp-4').map((row) => row.next_product_id)).toEqual([
      'bp-2',
    ])
  })

  it('keeps one snapshot, and a repeated run of the same moment writes nothing', async () => {
    expect((await computeInsights(warehouse, NOW, { kAnon: K })).skipped).toBe(true)
    const later = new Date(NOW.getTime() + 15 * 60_000)
    const report = await computeInsights(warehouse, later, { kAnon: K })
    expect(report.skipped).toBe(false)
    for (const table of ['reco_segments', 'reco_offers', 'reco_affinity']) {
      const snapshots = await rows<{ at: string; n: number }>(
        warehouse,
        `SELECT toString(computed_at) AS at, count() AS n FROM ${table} GROUP BY at`,
      )
      expect(
        snapshots.map((snapshot) => snapshot.at),
        table,
      ).toEqual(['2026-11-20 12:15:00'])
    }
    const [offers] = await rows<{ n: number }>(warehouse, 'SELECT count() AS n FROM reco_offers')
    expect(offers?.n).toBe(report.offers)
  })
})
