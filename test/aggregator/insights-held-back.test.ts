import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { API_TOKEN, figures, type ReadService, read, segmentId, startReadService } from '../api/support.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { rows } from './support.ts'

/*
 * What the insights job holds back before writing the reco_* tables, on data whose truth is known:
 * it writes how many groups (reco_held_back), never which, and /api/v1 adds them to `suppressed`.
 * K_ANON is 5 (the read service's default and the job's here).
 */

const K = 5
const NOW = new Date('2026-11-20T12:00:00Z')
const SITE = 'shop'
let next = 1

/** `visitors` distinct visitors of one cell, each shown `variant` of `offer` once. */
function shown(
  cell: { device: string; country: string; source: string; category: string },
  offer: string,
  variant: string,
  visitors: number,
): EventRow[] {
  return Array.from({ length: visitors }, () =>
    row({
      ...cell,
      site: SITE,
      visitor: String(next++),
      hour: '2026-11-20 09:00:00',
      type: 'offer_impression',
      offer_id: offer,
      offer_variant: variant,
    }),
  )
}

/** `visitors` distinct visitors who each view `to` right after `from`. */
function viewedNext(from: string, to: string, visitors: number): EventRow[] {
  return Array.from({ length: visitors }, () =>
    row({
      site: SITE,
      visitor: String(next++),
      hour: '2026-11-20 11:00:00',
      type: 'product_view',
      product_id: to,
      category: 'parts',
      prev_product_id: from,
      prev_category: 'parts',
    }),
  )
}

const MOBILE_DE = { device: 'mobile', country: 'DE', source: 'search', category: 'brakes' }
// Six visitors over three variants: the segment is written, none of its variants is.
const DESKTOP_FR = { device: 'desktop', country: 'FR', source: 'direct', category: 'tyres' }
// Three visitors in two cells, still under K at `*` everywhere: never a segment.
const TABLET_IT = { device: 'tablet', country: 'IT', source: 'social', category: 'oil' }
const OTHER_SE = { device: 'other', country: 'SE', source: 'email', category: 'wipers' }

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  await insertEvents(warehouse, [
    ...shown(MOBILE_DE, 'spring', 'control', 6),
    ...shown(MOBILE_DE, 'spring', 'b', 7),
    ...shown(MOBILE_DE, 'spring', 'c', 2),
    ...shown(DESKTOP_FR, 'spring', 'control', 2),
    ...shown(DESKTOP_FR, 'spring', 'b', 2),
    ...shown(DESKTOP_FR, 'spring', 'c', 2),
    ...shown(TABLET_IT, 'spring', 'control', 2),
    ...shown(OTHER_SE, 'spring', 'control', 1),
    // bp-1 has a written pair and one held back; bp-4 and bp-6 have none written.
    ...viewedNext('bp-1', 'bp-2', 6),
    ...viewedNext('bp-1', 'bp-3', 2),
    ...viewedNext('bp-4', 'bp-5', 2),
    ...viewedNext('bp-6', 'bp-7', 1),
  ])
  service = await startReadService(warehouse)
})

afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const v1 = async (path: string) => {
  const answer = await read(service.url, `/api/v1/${path}`, API_TOKEN)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return figures(answer.body) as { rows: Array<Record<string, unknown>>; suppressed: number }
}

const MOBILE_DE_ID = segmentId(MOBILE_DE)
const DESKTOP_FR_ID = segmentId(DESKTOP_FR)

describe('what the insights job holds back', () => {
  it('writes how many groups of each list it held back, with the snapshot', async () => {
    const report = await computeInsights(warehouse, NOW, { kAnon: K })
    expect(report.segments).toBe(2)
    expect(report.suppressedCells).toBe(2)
    expect(report.heldVariants).toBe(4)
    expect(report.heldPairs).toBe(3)
    const held = await rows<{ list: string; scope: string; held: number }>(
      warehouse,
      'SELECT list, scope, held FROM reco_held_back ORDER BY list, scope',
    )
    expect(held.map((r) => ({ ...r, held: Number(r.held) }))).toEqual([
      { list: 'affinity', scope: '*', held: 2 },
      { list: 'affinity', scope: 'bp-1', held: 1 },
      { list: 'offers', scope: DESKTOP_FR_ID, held: 3 },
      { list: 'offers', scope: MOBILE_DE_ID, held: 1 },
      { list: 'segments', scope: '', held: 2 },
    ])
  })

  it('names no held-back group: no unwritten product, cell or variant appears in the counts', async () => {
    const text = JSON.stringify(await rows(warehouse, 'SELECT * FROM reco_held_back'))
    for (const unwritten of ['bp-3', 'bp-4', 'bp-5', 'bp-6', 'bp-7', 'tablet', 'other', 'IT', 'SE', '"c"']) {
      expect(text).not.toContain(unwritten)
    }
  })

  it('adds them to `suppressed` on /api/v1/segments, /offers and /affinity', async () => {
    const segments = await v1(`segments?site=${SITE}`)
    expect(segments.rows.map((r) => r.segment).sort()).toEqual([DESKTOP_FR_ID, MOBILE_DE_ID].sort())
    expect(segments.suppressed).toBe(2)

    const mobile = await v1(`offers?site=${SITE}&segment=${encodeURIComponent(MOBILE_DE_ID)}`)
    expect(mobile.rows.map((r) => r.variant).sort()).toEqual(['b', 'control'])
    expect(mobile.suppressed).toBe(1)
    // A segment that exists but has no offer rows says why: all three of its variants were held back.
    const desktop = await v1(`offers?site=${SITE}&segment=${encodeURIComponent(DESKTOP_FR_ID)}`)
    expect(desktop).toMatchObject({ rows: [], suppressed: 3 })
    // The limit cuts the rows shown, not the count of what was held back.
    expect(await v1(`offers?site=${SITE}&segment=${encodeURIComponent(MOBILE_DE_ID)}&limit=1`)).toMatchObject(
      {
        suppressed: 1,
      },
    )

    const bp1 = await v1(`affinity?site=${SITE}&product=bp-1`)
    expect(bp1.rows.map((r) => r.next_product_id)).toEqual(['bp-2'])
    expect(bp1.suppressed).toBe(1)
    // Products with no written pair read the pool of all such products' held-back pairs.
    expect(await v1(`affinity?site=${SITE}&product=bp-4`)).toMatchObject({ rows: [], suppressed: 2 })
    expect(await v1(`affinity?site=${SITE}&product=never-seen`)).toMatchObject({ rows: [], suppressed: 2 })
  })

  it('counts nothing for a site without a snapshot', async () => {
    const other = await startReadService(warehouse, {
      SITES: 'shop=https://shop.example,quiet=https://q.example',
    })
    try {
      const answer = await read(other.url, '/api/v1/segments?site=quiet', API_TOKEN)
      expect(figures(answer.body)).toMatchObject({ rows: [], suppressed: 0 })
    } finally {
      await other.close()
    }
  })
})
