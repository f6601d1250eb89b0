import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  API_TOKEN,
  figures,
  insertRows,
  type ReadService,
  read,
  recoOffer,
  segmentId,
  startReadService,
} from './support.ts'

/*
 * /api/v1 with differential privacy on reads only snapshots the insights job made from released
 * cells (the `reco_*_released` tables, migration 0041), and with DP_EPSILON=off only
 * k-threshold ones: a snapshot of the other mode is never served, even when it is newer. A
 * differentially private answer says so, carries each figure's noise, no held-back count and no
 * figure that was not released (clicks, revenue).
 */

const OLD = '2026-03-11 06:00:00'
const NEW = '2026-03-12 06:00:00'
const MOBILE = { device: 'mobile', country: '*', source: '*', category: '*' }
const SITE_WIDE = { device: '*', country: '*', source: '*', category: '*' }
const DP = 'differential-privacy'

let warehouse: Warehouse
let dispose: () => Promise<void>
let dpService: ReadService
let kService: ReadService

const v1 = async (service: ReadService, path: string, release: typeof DP | 'k-threshold') => {
  const answer = await read(service.url, `/api/v1/${path}`, API_TOKEN)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return figures(answer.body, release) as Record<string, unknown> & { rows?: Record<string, unknown>[] }
}

const dpArm = (
  parts: typeof MOBILE,
  variant: string,
  impressions: number,
  conversions: number,
  best: boolean,
) => {
  // The released table has no clicks or revenue (not released).
  const {
    clicks: _clicks,
    revenue: _revenue,
    ...row
  } = recoOffer({
    ...parts,
    segment: segmentId(parts),
    offer_id: 'hero',
    variant,
    is_control: variant === 'control' ? 1 : 0,
    impressions,
    conversions,
    visitors: impressions,
    prob_best: best ? 0.99 : 0.01,
    is_best: best ? 1 : 0,
    impressions_sd: 88.9,
    conversions_sd: 29.8,
    computed_at: OLD,
  })
  return row
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  dpService = await startReadService(warehouse, { DP_EPSILON: '1' })
  kService = await startReadService(warehouse, { DP_EPSILON: 'off' })
  await insertRows(warehouse, 'reco_offers', [
    // A newer k-threshold snapshot: exact, small rows a DP service must never show.
    recoOffer({ ...MOBILE, segment: segmentId(MOBILE), offer_id: 'hero', variant: 'control', visitors: 6 }),
  ])
  await insertRows(warehouse, 'reco_offers_released', [
    dpArm(MOBILE, 'control', 3600, 90, false),
    dpArm(MOBILE, 'free-shipping', 3580, 370, true),
    dpArm(SITE_WIDE, 'control', 9100, 200, false),
    dpArm(SITE_WIDE, 'free-shipping', 9050, 700, true),
  ])
  await insertRows(warehouse, 'reco_segments', [
    { site: 'shop', segment: segmentId(MOBILE), ...MOBILE, visitors: 6, computed_at: NEW },
  ])
  await insertRows(warehouse, 'reco_segments_released', [
    ...[MOBILE, SITE_WIDE].map((parts, i) => ({
      site: 'shop',
      segment: segmentId(parts),
      ...parts,
      visitors: [7180, 18150][i],
      visitors_sd: 125.7,
      computed_at: OLD,
    })),
  ])
  await insertRows(warehouse, 'reco_affinity_released', [
    {
      site: 'shop',
      product_id: 'p1',
      next_product_id: 'p2',
      next_category: 'brakes',
      rank: 1,
      transitions: 900,
      visitors: 700,
      lift: 2,
      transitions_sd: 60.2,
      visitors_sd: 40.1,
      computed_at: OLD,
    },
  ])
  await insertRows(warehouse, 'reco_affinity', [
    {
      site: 'shop',
      product_id: 'p1',
      next_product_id: 'p-exact',
      next_category: 'brakes',
      rank: 1,
      transitions: 12,
      visitors: 6,
      lift: 9,
      computed_at: NEW,
    },
  ])
  await insertRows(warehouse, 'reco_held_back', [
    { site: 'shop', list: 'offers', scope: segmentId(MOBILE), held: 3, computed_at: NEW },
  ])
}, 60_000)

afterAll(async () => {
  await dpService?.close()
  await kService?.close()
  await dispose?.()
})

describe('/api/v1 with differential privacy on', () => {
  it('answers offers from the released snapshot only, with their noise and nothing unreleased', async () => {
    const body = await v1(dpService, `offers?site=shop&segment=${encodeURIComponent(segmentId(MOBILE))}`, DP)
    expect(body.suppressed).toBeNull()
    expect(body.rows?.map((row) => [row.variant, row.impressions, row.conversions])).toEqual([
      ['free-shipping', 3580, 370],
      ['control', 3600, 90],
    ])
    for (const row of body.rows ?? []) {
      expect(row.clicks).toBeNull()
      expect(row.revenue).toBeNull()
      expect(row.sd).toEqual({ impressions: 88.9, conversions: 29.8, visitors: 88.9 })
      expect(row).not.toHaveProperty('visitors_floor')
      expect(row).not.toHaveProperty('impressions_sd')
      expect(row.decision).toBe('recommended')
    }
  })

  it('lists the released segments and affinities, never the newer k-threshold ones', async () => {
    const segments = await v1(dpService, 'segments?site=shop', DP)
    expect(segments.rows?.map((row) => [row.segment, row.visitors, row.sd])).toEqual([
      [segmentId(SITE_WIDE), 18150, { visitors: 125.7 }],
      [segmentId(MOBILE), 7180, { visitors: 125.7 }],
    ])
    const affinity = await v1(dpService, 'affinity?site=shop&product=p1', DP)
    expect(affinity.rows?.map((row) => [row.next_product_id, row.sd])).toEqual([
      ['p2', { transitions: 60.2, visitors: 40.1 }],
    ])
    expect(affinity.suppressed).toBeNull()
  })

  it('recommends from the released snapshot, falling back to its site-wide segment', async () => {
    const mobile = await v1(dpService, 'recommend?site=shop&device=mobile&country=DE', DP)
    expect(mobile).toMatchObject({ variant: 'free-shipping', decision: 'recommended', suppressed: null })
    expect((mobile.segment as { id: string }).id).toBe(segmentId(MOBILE))
    const desktop = await v1(dpService, 'recommend?site=shop&device=desktop', DP)
    expect((desktop.segment as { id: string }).id).toBe(segmentId(SITE_WIDE))
    expect(desktop.variant).toBe('free-shipping')
    // The allocation shows the released counts; its shares come from the noise-widened posteriors.
    const allocation = desktop.allocation as Array<{ variant: string; impressions: number; share: number }>
    expect(allocation.map((arm) => arm.impressions)).toEqual([9100, 9050])
    expect((allocation[1]?.share ?? 0) + (allocation[0]?.share ?? 0)).toBeCloseTo(1, 9)
  })
})

describe('/api/v1 with DP_EPSILON=off', () => {
  it('never serves a differentially private snapshot as if it were its own', async () => {
    const body = await v1(
      kService,
      `offers?site=shop&segment=${encodeURIComponent(segmentId(MOBILE))}`,
      'k-threshold',
    )
    expect(body.rows?.map((row) => row.impressions)).toEqual([100])
    expect(body.suppressed).toBe(3)
    const affinity = await v1(kService, 'affinity?site=shop&product=p1', 'k-threshold')
    expect(affinity.rows?.map((row) => row.next_product_id)).toEqual(['p-exact'])
  })
})
