import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { seededRandom } from '../../core/dp/index.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { row } from '../support/rows.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/*
 * The overview and the chart with differential privacy on (DP_EPSILON=1): answered from released
 * cells only, over real HTTP. Site `exact` is published without noise (so figures can be compared
 * with the truth exactly), site `noisy` at the configured budget. Two closed days are published as
 * days; today (the 12th, 15:20) has its closed hours only.
 */

const DASHBOARD_TOKEN = 'd'.repeat(32)
const K = 5
const DAYS = ['2026-09-10', '2026-09-11']
const TODAY = '2026-09-12'
const NOW = new Date(`${TODAY}T15:20:00Z`)
const TRUE_VISITORS = [120, 150]
let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

// Day d: each visitor views `/` from search and `/a` directly (two sources, counted once), and
// one in ten buys. Today: 30 pageviews at 09:00 and 20 at 14:00, and 10 at 15:00 (still open).
function events(site: string): EventRow[] {
  const days = DAYS.flatMap((day, d) =>
    Array.from({ length: TRUE_VISITORS[d] ?? 0 }, (_, v) => {
      const visitor = String(1000 * (d + 1) + v)
      const rows = [
        row({ site, hour: `${day} 09:00:00`, visitor, path: '/', source: 'search' }),
        row({ site, hour: `${day} 10:00:00`, visitor, path: '/a', source: 'direct' }),
      ]
      if (v % 10 === 0) {
        rows.push(row({ site, hour: `${day} 10:00:00`, visitor, type: 'purchase', path: '', revenue: 20 }))
      }
      return rows
    }).flat(),
  )
  const today = (hour: string, count: number) =>
    Array.from({ length: count }, (_, v) =>
      row({ site, hour: `${TODAY} ${hour}`, visitor: String(900_000 + 1000 * Number(hour.slice(0, 2)) + v) }),
    )
  return [...days, ...today('09:00:00', 30), ...today('14:00:00', 20), ...today('15:00:00', 10)]
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, {
    DASHBOARD_TOKEN,
    K_ANON: String(K),
    SITES: 'exact=https://exact.example,noisy=https://noisy.example',
    DP_EPSILON: '1',
  })
  // One site at a time: the second run finds the first site's periods claimed in the ledger and
  // publishes the new site's only.
  await insertEvents(warehouse, events('exact'))
  await publishReleases(warehouse, NOW, {
    plan: releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K),
  })
  await insertEvents(warehouse, events('noisy'))
  const on = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), K)
  await publishReleases(warehouse, NOW, { plan: on, random: seededRandom('headline-routes') })
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

type Figures = {
  visitors: number | null
  pageviews: number
  revenue: number | null
  conversion_rate: number
  events: Record<string, number>
  sd: Record<string, number>
}
type Point = Figures & { time: string }
type Answer = {
  current: Figures
  rows: Point[]
  release: string
  suppressed: number | null
  privacy: object
  error?: string
  field?: string
  message: string
}

const get = async (path: string) => {
  const response = await fetch(`${service.url}/api/stats/${path}`, {
    headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
  })
  return { status: response.status, body: (await response.json()) as Answer }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

describe('the overview and the chart from released figures', () => {
  it('answers the true sum of daily uniques, with today from its closed hours', async () => {
    const { status, body } = await get(`overview?site=exact&from=${DAYS[0]}&to=${TODAY}`)
    expect(status).toBe(200)
    expect(body.release).toBe('differential-privacy')
    expect(body.suppressed).toBeNull()
    expect(body.privacy).toMatchObject({ epsilon: 1, delta: 1e-7 })
    const current = body.current
    expect(current.visitors).toBe(sum(TRUE_VISITORS))
    // Two pageviews per visitor on the days; today's closed hours (09:00, 14:00), not the open one.
    expect(current.pageviews).toBe(2 * sum(TRUE_VISITORS) + 30 + 20)
    expect(current.events.purchase).toBe(12 + 15)
    expect(current.revenue).toBe(20 * 27)
    expect(current.conversion_rate).toBeCloseTo(27 / 270, 4)
    expect(current.sd).toMatchObject({ visitors: 0, pageviews: 0 })
  })

  it('shows no visitors for today alone, and no revenue, until the day is published', async () => {
    const { body } = await get(`overview?site=exact&from=${TODAY}&to=${TODAY}`)
    expect(body.current).toMatchObject({ visitors: null, revenue: null, pageviews: 50 })
    const hours = await get(`timeseries?site=exact&from=${TODAY}&to=${TODAY}&interval=hour`)
    const busy = hours.body.rows.filter((point) => point.pageviews > 0)
    expect(busy.map((point) => [point.time, point.pageviews])).toEqual([
      [`${TODAY}T09:00:00Z`, 30],
      [`${TODAY}T14:00:00Z`, 20],
    ])
    expect(busy[0]).toMatchObject({ visitors: null, revenue: null })
  })

  it('gives the chart a point per published day and one for today', async () => {
    const { body } = await get(`timeseries?site=exact&from=${DAYS[0]}&to=${TODAY}`)
    expect(body.release).toBe('differential-privacy')
    expect(body.rows.map((point) => [point.time, point.visitors, point.pageviews])).toEqual([
      [DAYS[0], TRUE_VISITORS[0], 2 * (TRUE_VISITORS[0] ?? 0)],
      [DAYS[1], TRUE_VISITORS[1], 2 * (TRUE_VISITORS[1] ?? 0)],
      [TODAY, null, 50],
    ])
  })

  it('takes one filter at a time, answered from its published grouping set', async () => {
    const search = await get(`overview?site=exact&from=${DAYS[0]}&to=${DAYS[1]}&source=search`)
    expect(search.status).toBe(200)
    expect(search.body.current).toMatchObject({ visitors: sum(TRUE_VISITORS), pageviews: sum(TRUE_VISITORS) })
    const two = await get(`overview?site=exact&from=${DAYS[0]}&to=${DAYS[1]}&source=search&country=DE`)
    expect(two.status).toBe(400)
    expect(two.body).toMatchObject({ error: 'unsupported_filter', field: 'country' })
    expect(two.body.message).toContain('one filter at a time')
  })

  it('with noise: within the published noise, and the same answer on every read', async () => {
    const path = `overview?site=noisy&from=${DAYS[0]}&to=${DAYS[1]}`
    const { body } = await get(path)
    const current = body.current
    expect(current.sd.visitors).toBeGreaterThan(1)
    expect(Math.abs((current.visitors ?? 0) - sum(TRUE_VISITORS))).toBeLessThan(
      6 * (current.sd.visitors ?? 0),
    )
    for (let read = 0; read < 5; read++) expect((await get(path)).body).toEqual(body)
  })
})
