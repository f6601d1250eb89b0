import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS, measurement } from '../../aggregator/release/measurements.ts'
import { seededRandom } from '../../core/dp/index.ts'
import { EVENTS_PER_VISITOR_DAY } from '../../schemas/contribution.ts'
import { LIMITS } from '../../schemas/events.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { type ReadService, read, startReadService } from './support.ts'

/*
 * /api/stats/custom-props with DP on answers from the `custom_props` measurement: each (event
 * name, property, value) the sum of its released days, with its noise; `name` narrows the rows
 * after the read; nothing is read from the rollup. Published once without noise (the arithmetic)
 * and once with it (seeded): every figure within six published standard deviations.
 */

const DAY = '2026-10-06'
const NOW = new Date('2026-10-07T00:30:00Z')
const K = 5

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService

type Answer = {
  rows: Array<{
    name: string
    prop_key: string
    prop_value: string
    events: number
    visitors: number
    sd: Record<string, number>
  }>
  release: string
  suppressed: number | null
}

// Per site (times `scale`): 30 visitors send `signup` {plan: pro} twice; 12 send `signup` {plan: free}; 8 send
// `newsletter` {topic: brakes}; 2 send `signup` {plan: team} (a group under K_ANON).
function events(site: string, scale = 1) {
  const rows = []
  const custom = (visitor: string, name: string, key: string, value: string) =>
    row({
      site,
      visitor,
      hour: `${DAY} 10:00:00`,
      type: 'custom',
      name,
      prop_keys: [key],
      prop_values: [value],
    })
  for (let v = 0; v < 30 * scale; v++)
    rows.push(
      custom(`${100000 + v}`, 'signup', 'plan', 'pro'),
      custom(`${100000 + v}`, 'signup', 'plan', 'pro'),
    )
  for (let v = 0; v < 12 * scale; v++) rows.push(custom(`${200000 + v}`, 'signup', 'plan', 'free'))
  for (let v = 0; v < 8 * scale; v++) rows.push(custom(`${300000 + v}`, 'newsletter', 'topic', 'brakes'))
  for (let v = 0; v < 2; v++) rows.push(custom(`${400000 + v}`, 'signup', 'plan', 'team'))
  return rows
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  await insertEvents(warehouse, events('exact'))
  const off = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K)
  await publishReleases(warehouse, NOW, { plan: off, grains: ['day'] })
  await insertEvents(warehouse, events('noisy', 100))
  // ε = 49 and a crowd of thousands: enough to pass a day's threshold (at ε = 1 a week needs about
  // 15,000 visitors); the arithmetic is the same at any ε.
  const on = releasePlan(MEASUREMENTS, privacyFrom(49, 1e-7, false), K)
  await publishReleases(warehouse, NOW, { plan: on, grains: ['day'], random: seededRandom('custom-props') })
  service = await startReadService(warehouse, {
    SITES: 'exact=https://exact.example,noisy=https://noisy.example',
    K_ANON: String(K),
    DP_EPSILON: '1',
  })
}, 120_000)

afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const props = async (site: string, extra = '') => {
  const answer = await read<Answer>(
    service.url,
    `/api/stats/custom-props?site=${site}&from=${DAY}&to=${DAY}${extra}`,
  )
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body
}

describe('custom event properties from released figures', () => {
  it('are the released cells, exact without noise, the small group never published', async () => {
    const body = await props('exact')
    expect(body.release).toBe('differential-privacy')
    expect(body.suppressed).toBeNull()
    expect(body.rows.map((r) => [r.name, r.prop_key, r.prop_value, r.events, r.visitors])).toEqual([
      ['signup', 'plan', 'pro', 60, 30],
      ['signup', 'plan', 'free', 12, 12],
      ['newsletter', 'topic', 'brakes', 8, 8],
    ])
    expect((await props('exact', '&name=newsletter')).rows.map((r) => r.prop_value)).toEqual(['brakes'])
  })

  it('carry their noise and stay within six standard deviations of the truth', async () => {
    const truth = new Map([
      ['pro', [6000, 3000]],
      ['free', [1200, 1200]],
      ['brakes', [800, 800]],
    ])
    const body = await props('noisy')
    expect(body.rows.length).toBeGreaterThan(0)
    for (const r of body.rows) {
      const [events, visitors] = truth.get(r.prop_value) ?? [0, 0]
      expect(r.sd.events).toBeGreaterThan(0)
      expect(Math.abs(r.events - (events ?? 0))).toBeLessThanOrEqual(6 * (r.sd.events ?? 0) + 1)
      expect(Math.abs(r.visitors - (visitors ?? 0))).toBeLessThanOrEqual(6 * (r.sd.visitors ?? 0) + 1)
    }
  })

  it('have sensitivities from the contribution bounds', () => {
    const cells = EVENTS_PER_VISITOR_DAY.custom * LIMITS.props
    const l2 = (name: string) => measurement('custom_props').measures.find((m) => m.name === name)?.l2
    expect(l2('visitors')).toBeCloseTo(Math.sqrt(cells), 9)
    expect(l2('events')).toBeCloseTo(Math.sqrt(LIMITS.props * EVENTS_PER_VISITOR_DAY.custom ** 2), 9)
  })
})
