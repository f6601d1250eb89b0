import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probBest } from '../../aggregator/insights/prob-best.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { API_TOKEN, insertRows, type ReadService, read, recoOffer, startReadService } from './support.ts'

/*
 * GET /api/v1/recommend over a real socket and the embedded warehouse: the visitor's segment at
 * every coarsening level and the site-wide fallback, the decision at its boundary and under a
 * configured RECOMMEND_PROB_BEST, the Thompson allocation, choose=sample, the snapshot held in
 * memory and replaced when a newer one is written; and `uplift` null on /offers.
 */

const NEW = '2026-03-12 06:00:00'
const NEWER = '2026-03-12 06:15:00'
const SITES = 'shop=https://shop.example,other=https://other.example,multi=https://multi.example'

type Parts = { device: string; country: string; source: string; category: string }
type Arm = { variant: string; impressions: number; conversions: number; prob_best?: number }

const idOf = (p: Parts) => `device=${p.device}|country=${p.country}|source=${p.source}|category=${p.category}`

/** The rows of one segment: P(best) as the insights job computes it unless given. */
function segmentRows(site: string, parts: Parts, arms: Arm[], offer = 'banner', computed_at = NEW) {
  const chances = probBest(arms)
  return arms.map((arm, i) =>
    recoOffer({
      site,
      segment: idOf(parts),
      ...parts,
      offer_id: offer,
      variant: arm.variant,
      is_control: arm.variant === 'control' ? 1 : 0,
      impressions: arm.impressions,
      conversions: arm.conversions,
      prob_best: arm.prob_best ?? chances[i],
      is_best: 0,
      uplift: arm.variant === 'control' ? 0 : 0.4,
      visitors: 40 + i,
      computed_at,
    }),
  )
}

const L0 = { device: 'mobile', country: 'DE', source: 'social', category: 'wipers' }
const L1 = { device: 'mobile', country: 'DE', source: 'paid', category: '*' }
const L2 = { device: 'mobile', country: 'AT', source: '*', category: '*' }
const L3 = { device: 'tablet', country: '*', source: '*', category: '*' }
const L4 = { device: '*', country: '*', source: '*', category: '*' }

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService
let strict: ReadService

const recommend = async (query: string, on = () => service) => {
  const answer = await read(on().url, `/api/v1/recommend?${query}`, API_TOKEN)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body as Record<string, unknown> & {
    segment: { id: string | null; coarsened: string[]; site_wide: boolean }
    allocation: Array<{ variant: string; share: number; impressions: number; conversions: number }>
  }
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startReadService(warehouse, { SITES })
  strict = await startReadService(warehouse, { SITES, RECOMMEND_PROB_BEST: '0.96' })
  await insertRows(warehouse, 'reco_offers', [
    ...segmentRows('shop', L0, [
      { variant: 'control', impressions: 300, conversions: 6, prob_best: 0.03 },
      { variant: 'ship', impressions: 300, conversions: 30, prob_best: 0.95 },
      { variant: 'pct', impressions: 300, conversions: 9, prob_best: 0.02 },
    ]),
    ...segmentRows('shop', L1, [
      { variant: 'control', impressions: 200, conversions: 10 },
      { variant: 'ship', impressions: 200, conversions: 13 },
    ]),
    ...segmentRows('shop', L2, [{ variant: 'pct', impressions: 150, conversions: 8 }]),
    ...segmentRows('shop', L3, [
      { variant: 'control', impressions: 120, conversions: 0 },
      { variant: 'ship', impressions: 120, conversions: 12 },
    ]),
    ...segmentRows('shop', L4, [
      { variant: 'control', impressions: 500, conversions: 20 },
      { variant: 'ship', impressions: 500, conversions: 24 },
    ]),
    // `other` has segments for mobile visitors from DE only: anyone else falls back to the site.
    ...segmentRows('other', L0, [
      { variant: 'control', impressions: 100, conversions: 2 },
      { variant: 'ship', impressions: 100, conversions: 10 },
    ]),
    ...segmentRows('other', L1, [
      { variant: 'control', impressions: 200, conversions: 4 },
      { variant: 'ship', impressions: 200, conversions: 30 },
    ]),
    // A row under K_ANON (the job never writes one; the gate must hold it anyway): no total adds it.
    {
      ...segmentRows('other', L2, [{ variant: 'ship', impressions: 9999, conversions: 9999 }])[0],
      visitors: 2,
    },
    ...segmentRows('multi', L4, [{ variant: 'a', impressions: 100, conversions: 5 }], 'banner'),
    ...segmentRows('multi', L4, [{ variant: 'a', impressions: 100, conversions: 5 }], 'popup'),
  ])
})

afterAll(async () => {
  await service?.close()
  await strict?.close()
  await dispose?.()
})

describe('segment resolution', () => {
  it('answers from the visitor’s own cell when it is a segment', async () => {
    const body = await recommend('site=shop&device=mobile&country=DE&source=social&category=wipers')
    expect(body.segment).toEqual({ id: idOf(L0), ...L0, coarsened: [], site_wide: false })
    expect(body.offer).toBe('banner')
  })

  it.each([
    ['category', 'device=mobile&country=DE&source=paid&category=brakes', L1, ['category']],
    ['source', 'device=mobile&country=AT&source=search&category=tyres', L2, ['category', 'source']],
    [
      'country',
      'device=tablet&country=CH&source=email&category=tyres',
      L3,
      ['category', 'source', 'country'],
    ],
    [
      'device',
      'device=desktop&country=GB&source=direct&category=oil',
      L4,
      ['category', 'source', 'country', 'device'],
    ],
  ])('coarsens %s away when that is the finest level released', async (_level, query, parts, coarsened) => {
    const body = await recommend(`site=shop&${query}`)
    expect(body.segment).toEqual({ id: idOf(parts), ...parts, coarsened, site_wide: false })
  })

  it('skips the levels that keep a dimension the visitor did not send', async () => {
    // Without a source, the L0 and L1 ids cannot be the visitor's: the first candidate keeps country.
    const body = await recommend('site=shop&device=mobile&country=DE&category=wipers')
    expect(body.segment.id).toBe(idOf(L4))
    expect((await recommend('site=shop')).segment.id).toBe(idOf(L4))
  })

  it('falls back to the site-wide total for a visitor no segment matches', async () => {
    const body = await recommend('site=other&device=desktop&country=GB&source=direct&category=oil')
    expect(body.segment).toEqual({
      id: null,
      ...L4,
      coarsened: ['category', 'source', 'country', 'device'],
      site_wide: true,
    })
    // The sums of the site's segments, per variant.
    expect(body.allocation.map(({ share: _share, ...arm }) => arm)).toEqual([
      { variant: 'control', impressions: 300, conversions: 6 },
      { variant: 'ship', impressions: 300, conversions: 40 },
    ])
    expect(body.decision).toBe('recommended')
    expect(body.variant).toBe('ship')
    expect(body.prob_best).toBeGreaterThan(0.99)
    // The visitors of both segments' arms, summed.
    expect(body.visitors).toBe(40 + 41 + 40 + 41)
  })
})

describe('decision', () => {
  it('recommends at P(best) exactly RECOMMEND_PROB_BEST (0.95 by default) and leads under a stricter level', async () => {
    const query = 'site=shop&device=mobile&country=DE&source=social&category=wipers'
    expect(await recommend(query)).toMatchObject({
      decision: 'recommended',
      variant: 'ship',
      prob_best: 0.95,
      prob_best_level: 0.95,
    })
    expect(await recommend(query, () => strict)).toMatchObject({
      decision: 'leading',
      variant: 'ship',
      prob_best: 0.95,
      prob_best_level: 0.96,
    })
  })

  it('leads below the level, is alone with one released variant, and explores an unknown offer', async () => {
    const leading = await recommend('site=shop&device=mobile&country=DE&source=paid&category=brakes')
    expect(leading).toMatchObject({ decision: 'leading', variant: 'ship' })
    expect(leading.prob_best as number).toBeLessThan(0.95)
    expect(await recommend('site=shop&device=mobile&country=AT&source=search&category=tyres')).toMatchObject({
      decision: 'alone',
      variant: 'pct',
      prob_best: 1,
      allocation: [{ variant: 'pct', share: 1, impressions: 150, conversions: 8 }],
    })
    expect(await recommend('site=shop&offer=not-running&device=mobile')).toMatchObject({
      offer: null,
      decision: 'explore',
      variant: null,
      prob_best: null,
      allocation: [],
    })
  })
})

describe('allocation', () => {
  it('gives every released variant a Thompson share; the shares sum to 1 and track P(best)', async () => {
    const body = await recommend('site=shop&device=mobile&country=DE&source=paid&category=brakes')
    const shares = body.allocation.map((arm) => arm.share)
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 9)
    const reference = probBest([
      { impressions: 200, conversions: 10 },
      { impressions: 200, conversions: 13 },
    ])
    shares.forEach((share, i) => {
      expect(Math.abs(share - (reference[i] as number))).toBeLessThan(0.04)
    })
    // Held for the snapshot: the same shares on the next call.
    expect(
      (await recommend('site=shop&device=mobile&country=DE&source=paid&category=brakes')).allocation,
    ).toEqual(body.allocation)
  })

  it('choose=sample draws variants in about those shares', async () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 200; i++) {
      const body = await recommend(
        'site=shop&device=mobile&country=DE&source=paid&category=brakes&choose=sample',
      )
      counts.set(body.variant as string, (counts.get(body.variant as string) ?? 0) + 1)
    }
    expect([...counts.keys()].sort()).toEqual(['control', 'ship'])
    // P(best) of ship is about 0.74 here: 200 draws land within 0.6–0.88 but for one run in ten thousand.
    const ship = (counts.get('ship') ?? 0) / 200
    expect(ship).toBeGreaterThan(0.6)
    expect(ship).toBeLessThan(0.88)
  })
})

describe('uplift on /api/v1/offers', () => {
  it('is null when the control never converted, and the stored figure when it did', async () => {
    const offers = async (parts: Parts) => {
      const answer = await read(
        service.url,
        `/api/v1/offers?site=shop&segment=${encodeURIComponent(idOf(parts))}`,
        API_TOKEN,
      )
      expect(answer.status).toBe(200)
      return (answer.body.rows as Array<{ variant: string; uplift: number | null }>).map((row) => [
        row.variant,
        row.uplift,
      ])
    }
    // The control of L3 has 0 conversions in 120 impressions: ship's 10% has no uplift to show.
    expect(new Map((await offers(L3)) as [string, number | null][])).toEqual(
      new Map([
        ['control', null],
        ['ship', null],
      ]),
    )
    expect(new Map((await offers(L1)) as [string, number | null][])).toEqual(
      new Map([
        ['control', 0],
        ['ship', 0.4],
      ]),
    )
  })
})

describe('requests', () => {
  it('needs `offer` when the site runs several, and refuses a bad dimension by name', async () => {
    const several = await read(service.url, '/api/v1/recommend?site=multi', API_TOKEN)
    expect(several.status).toBe(400)
    expect(several.body).toMatchObject({ error: 'invalid', field: 'offer' })
    expect(await recommend('site=multi&offer=popup')).toMatchObject({ offer: 'popup', decision: 'alone' })
    const device = await read(service.url, '/api/v1/recommend?site=shop&device=phone', API_TOKEN)
    expect(device.status).toBe(400)
    expect(device.body).toMatchObject({ error: 'invalid', field: 'device' })
    const choose = await read(service.url, '/api/v1/recommend?site=shop&choose=first', API_TOKEN)
    expect(choose.body).toMatchObject({ error: 'invalid', field: 'choose' })
    expect((await read(service.url, '/api/v1/recommend?site=shop', 'wrong-token-0123456789')).status).toBe(
      401,
    )
  })

  it('serves the snapshot from memory and the newer one once the insights job wrote it', async () => {
    const query = 'site=shop&device=mobile&country=DE&source=social&category=wipers'
    expect((await recommend(query)).computed_at).toBe('2026-03-12T06:00:00Z')
    await insertRows(
      warehouse,
      'reco_offers',
      segmentRows(
        'shop',
        L0,
        [
          { variant: 'control', impressions: 400, conversions: 40, prob_best: 0.5 },
          { variant: 'pct', impressions: 400, conversions: 40, prob_best: 0.5 },
        ],
        'banner',
        NEWER,
      ),
    )
    // Within the check interval (1 s) and one load, every answer is the new snapshot's.
    const deadline = Date.now() + 5000
    let body = await recommend(query)
    while (body.computed_at !== '2026-03-12T06:15:00Z' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      body = await recommend(query)
    }
    expect(body).toMatchObject({
      computed_at: '2026-03-12T06:15:00Z',
      decision: 'leading',
      variant: 'control',
    })
    expect(body.allocation.map((arm) => arm.variant)).toEqual(['control', 'pct'])
  })
})
