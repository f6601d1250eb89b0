import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runQuery } from '../../api/queries/common.ts'
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
 * /api/v1 reads the insights job's snapshots: only the latest run of the asked site, and only
 * groups of at least K_ANON (5 here) visitors, whatever the tables hold.
 */

const OLD = '2026-03-11 06:00:00'
const NEW = '2026-03-12 06:00:00'
const SEGMENT = { device: 'mobile', country: 'DE', source: '*', category: 'brakes' }
const OTHER_SEGMENT = { device: 'desktop', country: '*', source: 'search', category: '*' }

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: ReadService

const v1 = async (path: string) => {
  const answer = await read(service.url, `/api/v1/${path}`, API_TOKEN)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return figures(answer.body)
}

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startReadService(warehouse, {
    SITES: 'shop=https://shop.example,other=https://other.example',
  })
  const next = (
    next_product_id: string,
    rank: number,
    visitors: number,
    lift: number,
    computed_at = NEW,
  ) => ({
    site: 'shop',
    product_id: 'p1',
    next_product_id,
    next_category: 'brakes',
    rank,
    transitions: visitors * 2,
    visitors,
    lift,
    computed_at,
  })
  await insertRows(warehouse, 'reco_affinity', [
    next('p-old', 1, 50, 9, OLD),
    next('p2', 1, 30, 2.5),
    next('p3', 2, 12, 1.5),
    next('p4', 3, 4, 1.2),
    // A later run for another site does not hide this site's latest.
    { ...next('p-other', 1, 50, 3, '2026-03-13 06:00:00'), site: 'other' },
  ])
  const segment = segmentId(SEGMENT)
  await insertRows(warehouse, 'reco_offers', [
    recoOffer({ ...SEGMENT, segment, offer_id: 'o-old', visitors: 90, computed_at: OLD }),
    recoOffer({
      ...SEGMENT,
      segment,
      offer_id: 'o-a',
      variant: 'control',
      is_control: 1,
      is_best: 0,
      prob_best: 0.1,
      visitors: 40,
    }),
    recoOffer({
      ...SEGMENT,
      segment,
      offer_id: 'o-b',
      variant: 'bold',
      is_best: 1,
      prob_best: 0.9,
      uplift: 0.35,
      visitors: 45,
    }),
    recoOffer({ ...OTHER_SEGMENT, segment: segmentId(OTHER_SEGMENT), offer_id: 'o-c', visitors: 60 }),
  ])
  const row = (parts: typeof SEGMENT, visitors: number, computed_at = NEW) => ({
    site: 'shop',
    segment: segmentId(parts),
    ...parts,
    visitors,
    computed_at,
  })
  await insertRows(warehouse, 'reco_segments', [
    row(SEGMENT, 999, OLD),
    row(SEGMENT, 40),
    row(OTHER_SEGMENT, 60),
    row({ device: 'tablet', country: '*', source: '*', category: '*' }, 3),
  ])
})

afterAll(async () => {
  await service?.close()
  await disposeWarehouse?.()
})

describe('GET /api/v1', () => {
  it('affinity: the latest run’s next products by rank, small ones held back', async () => {
    expect(await v1('affinity?site=shop&product=p1')).toEqual({
      rows: [
        {
          next_product_id: 'p2',
          next_category: 'brakes',
          rank: 1,
          transitions: 60,
          visitors: 30,
          lift: 2.5,
          computed_at: '2026-03-12T06:00:00Z',
        },
        {
          next_product_id: 'p3',
          next_category: 'brakes',
          rank: 2,
          transitions: 24,
          visitors: 12,
          lift: 1.5,
          computed_at: '2026-03-12T06:00:00Z',
        },
      ],
      suppressed: 1,
    })
    expect(await v1('affinity?site=shop&product=p1&limit=1')).toMatchObject({
      rows: [{ next_product_id: 'p2' }],
      suppressed: 1,
    })
    expect(await v1('affinity?site=shop&product=p-unknown')).toEqual({ rows: [], suppressed: 0 })
    expect(await v1('affinity?site=other&product=p1')).toMatchObject({
      rows: [{ next_product_id: 'p-other' }],
    })
  })

  it('offers: one segment of the latest run, best first', async () => {
    const body = await v1(`offers?site=shop&segment=${encodeURIComponent(segmentId(SEGMENT))}`)
    expect(body.suppressed).toBe(0)
    expect(body.rows).toEqual([
      expect.objectContaining({
        offer_id: 'o-b',
        variant: 'bold',
        is_best: true,
        is_control: false,
        prob_best: 0.9,
        // o-b has no control variant of its own: the stored 0.35 is not shown (recommend.test.ts).
        uplift: null,
      }),
      expect.objectContaining({ offer_id: 'o-a', variant: 'control', is_best: false, is_control: true }),
    ])
    expect((body.rows as object[])[0]).toEqual({
      segment: segmentId(SEGMENT),
      ...SEGMENT,
      offer_id: 'o-b',
      variant: 'bold',
      is_control: false,
      impressions: 100,
      clicks: 10,
      conversions: 5,
      revenue: 99.5,
      visitors: 45,
      conversion_rate: 0.05,
      ci_low: 0.02,
      ci_high: 0.11,
      uplift: null,
      prob_best: 0.9,
      is_best: true,
      // The only variant of o-b released here: nothing to compare it with, whatever its P(best).
      decision: 'alone',
      computed_at: '2026-03-12T06:00:00Z',
    })
  })

  it('segments: the latest run, largest first', async () => {
    expect(await v1('segments?site=shop')).toEqual({
      rows: [
        {
          segment: segmentId(OTHER_SEGMENT),
          ...OTHER_SEGMENT,
          visitors: 60,
          computed_at: '2026-03-12T06:00:00Z',
        },
        { segment: segmentId(SEGMENT), ...SEGMENT, visitors: 40, computed_at: '2026-03-12T06:00:00Z' },
      ],
      suppressed: 1,
    })
  })

  it('answers 503 rather than 500 while a snapshot table does not exist yet', async () => {
    await expect(runQuery(warehouse, 'SELECT 1 FROM reco_not_there', {})).rejects.toMatchObject({
      status: 503,
      code: 'not_ready',
    })
  })
})
