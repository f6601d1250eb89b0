import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { row } from '../support/rows.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// Every segment id the read API hands out is accepted back by it, for whatever values the
// pipeline stored: no country (private, CGNAT or unlisted addresses), a line separator in a
// category stored before labels were normalised, the id's own separators, an empty category.
const API_TOKEN = 'segment-ids-api-token-0123456789'
const K = 2

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

const hour = `${new Date().toISOString().slice(0, 13).replace('T', ' ')}:00:00`
let visitor = 1000
/** `visitors` distinct visitors, each shown offer `o-1`, one of them clicking it. */
const cell = (
  dims: { device: string; country: string; source: string; category: string },
  visitors: number,
) =>
  Array.from({ length: visitors }, (_, i) => {
    const id = String(++visitor)
    const shown = row({
      ...dims,
      hour,
      visitor: id,
      type: 'offer_impression',
      offer_id: 'o-1',
      offer_variant: i % 2 ? 'a' : 'control',
    })
    return i === 0 ? [shown, { ...shown, type: 'offer_click' }] : [shown]
  }).flat()

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, {
    API_TOKEN,
    K_ANON: String(K),
    SITES: 'demo=https://shop.example',
  })
  const rows = [
    ...cell({ device: 'desktop', country: '', source: 'direct', category: 'brakes' }, 4),
    ...cell({ device: 'desktop', country: 'DE', source: 'direct', category: 'bags\u2028x' }, 4),
    ...cell({ device: 'mobile', country: '', source: 'search', category: 'a|b=c*%d' }, 4),
    ...cell({ device: 'tablet', country: '', source: 'direct', category: '' }, 4),
    ...cell({ device: 'other', country: '', source: 'social', category: 'para\u2029\nline' }, 4),
    // Too small alone: pooled into coarser segments.
    ...cell({ device: 'mobile', country: 'FR', source: 'social', category: 'tyres' }, 1),
    ...cell({ device: 'mobile', country: '', source: 'email', category: 'tyres' }, 1),
  ].map((value) => ({ ...value, site: 'demo' }))
  await warehouse.client.insert({ table: 'events_in', values: rows, format: 'JSONEachRow' })
  const report = await computeInsights(warehouse, new Date(), { kAnon: K })
  expect(report.segments).toBeGreaterThan(4)
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const v1 = async (path: string) => {
  const response = await fetch(`${service.url}/api/v1/${path}`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  })
  return {
    status: response.status,
    body: (await response.json()) as { rows: Array<Record<string, unknown>> },
  }
}

describe('segment ids on adversarial data', () => {
  it('reads every released segment back through /api/v1/offers?segment=', async () => {
    const listed = await v1(`segments?${new URLSearchParams({ site: 'demo', limit: '1000' })}`)
    expect(listed.status).toBe(200)
    const ids = listed.body.rows.map((r) => String(r.segment))
    expect(ids).toContain('device=desktop|country=|source=direct|category=brakes')
    expect(ids).toContain('device=desktop|country=DE|source=direct|category=bags\u2028x')
    expect(ids).toContain('device=mobile|country=|source=search|category=a%7Cb%3Dc%2A%25d')
    expect(ids).toContain('device=tablet|country=|source=direct|category=')
    for (const id of ids) {
      const answer = await v1(`offers?${new URLSearchParams({ site: 'demo', segment: id, limit: '1000' })}`)
      expect(answer.status, `${JSON.stringify(id)}: ${JSON.stringify(answer.body)}`).toBe(200)
      // The id names the rows it was listed for: the offer shown in the segment comes back.
      expect(
        answer.body.rows.map((r) => r.offer_id),
        JSON.stringify(id),
      ).toContain('o-1')
      expect(answer.body.rows.every((r) => r.segment === undefined || r.segment === id)).toBe(true)
    }
  })

  it('still refuses what is not a segment id, naming the field', async () => {
    for (const bad of [
      'device=mobile',
      'device=a|country=b|source=c|category=d|extra=e',
      'device=%ZZ|country=|source=|category=',
      'x'.repeat(2000),
    ]) {
      const answer = await v1(`offers?${new URLSearchParams({ site: 'demo', segment: bad })}`)
      expect(answer.status, bad).toBe(400)
      expect(answer.body).toMatchObject({ error: 'invalid', field: 'segment' })
    }
  })
})
