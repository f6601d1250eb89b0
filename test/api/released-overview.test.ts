import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { releasedOverview, releasedSeries } from '../../api/released-overview.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { type ReleasedFilter, releasedReader } from '../../warehouse/released/reader.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/*
 * The headline figures (overview and daily chart) as post-processing of released cells
 * (api/released-overview.ts), on days shaped like the demo's: every visitor seen in two groups
 * (two sources), the older days finalized after publication, the recent ones not. Visitors over a
 * range are the sum of the days' unique visitors: with DP off exactly, with noise within it.
 */

let warehouse: Warehouse
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
})
afterAll(async () => {
  await dispose?.()
})

const K = 5
const OFF = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K)
const ON = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), K)
const DAYS = ['2026-08-01', '2026-08-02', '2026-08-03', '2026-08-04', '2026-08-05', '2026-08-06']
// Day d: 300 + 40·d visitors, each viewing `/` from search and `/a` and `/b` directly. The 7th,
// 00:30: the days are published, then days up to the 5th lose their sketches.
const TRUE = DAYS.map((_, d) => 300 + 40 * d)
const NOW = new Date('2026-08-07T00:30:00Z')
const RANGE = { from: DAYS[0] as string, to: DAYS.at(-1) as string }

function events(site: string): EventRow[] {
  return DAYS.flatMap((day, d) =>
    Array.from({ length: TRUE[d] ?? 0 }, (_, v) => [
      row({
        site,
        hour: `${day} 09:00:00`,
        visitor: String(100_000 * (d + 1) + v),
        path: '/',
        source: 'search',
      }),
      row({
        site,
        hour: `${day} 10:00:00`,
        visitor: String(100_000 * (d + 1) + v),
        path: '/a',
        source: 'direct',
      }),
      row({
        site,
        hour: `${day} 11:00:00`,
        visitor: String(100_000 * (d + 1) + v),
        path: '/b',
        source: 'direct',
      }),
    ]).flat(),
  )
}

type Range = { site: string; from: string; to: string }
const releasedHeadline = (w: Warehouse, range: Range, filter: ReleasedFilter) =>
  releasedOverview(releasedReader(w), { ...range, filter })
const releasedDailyHeadline = (w: Warehouse, range: Range, filter: ReleasedFilter) =>
  releasedSeries(releasedReader(w), { ...range, filter }, 'day')

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

describe('headline figures from released cells', () => {
  it('with DP off: the sum of daily uniques at every level, the same before and after finalizing', async () => {
    await insertEvents(warehouse, events('exact'))
    await publishReleases(warehouse, NOW, { plan: OFF, grains: ['day'] })
    const range = { site: 'exact', ...RANGE }
    const overview = await releasedHeadline(warehouse, range, null)
    expect(overview).toMatchObject({ visitors: sum(TRUE), pageviews: 3 * sum(TRUE), sd: { visitors: 0 } })
    expect(overview.events.pageview).toBe(3 * sum(TRUE))
    // One filter: the grouping set published for it. Every visitor came from search once.
    const search = await releasedHeadline(warehouse, range, { name: 'source', value: 'search' })
    expect(search).toMatchObject({ visitors: sum(TRUE), pageviews: sum(TRUE) })
    const series = await releasedDailyHeadline(warehouse, range, null)
    expect(series.map((point) => [point.time, point.visitors])).toEqual(DAYS.map((day, d) => [day, TRUE[d]]))
    // The older days lose their sketches; what was published does not move: no jump.
    const finalized = await finalizeSketches(warehouse, NOW)
    expect(finalized.cutoff).toBe('2026-08-06')
    expect(finalized.finalized.traffic_daily).toBeGreaterThan(0)
    expect(await releasedDailyHeadline(warehouse, range, null)).toEqual(series)
    expect(await releasedHeadline(warehouse, range, null)).toEqual(overview)
  })

  it('with noise: within the published noise of the true sum, day by day, and the same on every read', async () => {
    await insertEvents(warehouse, events('noisy'))
    await publishReleases(warehouse, NOW, { plan: ON, grains: ['day'] })
    await finalizeSketches(warehouse, NOW)
    const range = { site: 'noisy', ...RANGE }
    const overview = await releasedHeadline(warehouse, range, null)
    expect(overview.sd.visitors).toBeGreaterThan(0)
    // Six standard deviations: a false failure once in 500 million runs.
    expect(Math.abs((overview.visitors ?? 0) - sum(TRUE))).toBeLessThan(6 * (overview.sd.visitors ?? 0))
    expect(Math.abs(overview.pageviews - 3 * sum(TRUE))).toBeLessThan(6 * (overview.sd.pageviews ?? 0))
    const series = await releasedDailyHeadline(warehouse, range, null)
    expect(series.map((point) => point.time)).toEqual(DAYS)
    for (const [d, point] of series.entries()) {
      expect(Math.abs((point.visitors ?? 0) - (TRUE[d] ?? 0)), point.time).toBeLessThan(
        6 * (point.sd.visitors ?? 0),
      )
    }
    // The range's noise is that of its days added up (independent draws).
    const daily = series[0]?.sd.visitors ?? 0
    expect(overview.sd.visitors).toBeCloseTo(Math.sqrt(DAYS.length) * daily, 0)
    // Post-processing: asking again gives the same figures, so there is nothing to average away.
    expect(await releasedHeadline(warehouse, range, null)).toEqual(overview)
  })
})
