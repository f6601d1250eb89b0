import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { seededRandom } from '../../core/dp/index.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { rows } from './support.ts'

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

type Released = { measurement: string; grouping: string; grouping_value: string; k1: string; measure: string }
const released = (site: string, day: string, grain = 'day') =>
  rows<Released & { value: number; stddev: number }>(
    warehouse,
    `SELECT measurement, grouping, grouping_value, k1, measure, value, stddev FROM released FINAL
     WHERE site = {site:String} AND day = {day:Date} AND grain = {grain:String}
     ORDER BY measurement, grouping, grouping_value, k1, measure, slot`,
    { site, day, grain },
  )
const figure = (all: Array<Released & { value: number; stddev: number }>, match: Partial<Released>) =>
  all.filter((item) => Object.entries(match).every(([key, value]) => item[key as keyof Released] === value))

/** `visitors` visitors on `day`, each viewing `/` from search and `/a` directly. */
function twoSourcesEach(site: string, day: string, visitors: number): EventRow[] {
  return Array.from({ length: visitors }, (_, index) => [
    row({ site, hour: `${day} 09:00:00`, visitor: String(index + 1), path: '/', source: 'search' }),
    row({ site, hour: `${day} 11:00:00`, visitor: String(index + 1), path: '/a', source: 'direct' }),
  ]).flat()
}

describe('publish with DP off (the arithmetic)', () => {
  const NOW = new Date('2026-04-02T03:30:00Z')

  it('publishes a closed day with true distinct visitors at every level, once', async () => {
    await insertEvents(warehouse, twoSourcesEach('exact', '2026-04-01', 7))
    // Today's events are not a closed day: nothing of them is published as a day.
    await insertEvents(warehouse, twoSourcesEach('exact', '2026-04-02', 7))
    const first = await publishReleases(warehouse, NOW, { plan: OFF })
    expect(first.published.filter((period) => period.grain === 'day')).toMatchObject([
      { site: 'exact', day: '2026-04-01' },
    ])
    const all = await released('exact', '2026-04-01')
    // 7 visitors seen through two sources and two paths are 7, not 14.
    expect(figure(all, { measurement: 'totals', grouping: '', measure: 'visitors' })).toMatchObject([
      { value: 7, stddev: 0 },
    ])
    expect(figure(all, { measurement: 'totals', grouping: '', measure: 'pageviews' })).toMatchObject([
      { value: 14 },
    ])
    expect(
      figure(all, { measurement: 'totals', grouping: 'source', measure: 'visitors' }).map((item) => [
        item.grouping_value,
        item.value,
      ]),
    ).toEqual([
      ['direct', 7],
      ['search', 7],
    ])
    expect(
      figure(all, { measurement: 'pages', grouping: '', measure: 'visitors' }).map((i) => i.value),
    ).toEqual([7, 7])
    expect(await released('exact', '2026-04-02')).toEqual([])

    const again = await publishReleases(warehouse, NOW, { plan: OFF })
    expect(again.published.filter((period) => period.site === 'exact')).toEqual([])
    expect(await released('exact', '2026-04-01')).toEqual(all)
  })

  it('publishes every closed hour since yesterday, events or not, and not the open one', async () => {
    const hours = await rows<{ slot: number; value: number }>(
      warehouse,
      `SELECT slot, value FROM released FINAL WHERE site = 'exact' AND grain = 'hour' AND day = '2026-04-02'
         AND measurement = 'traffic_hourly' AND k1 = 'pageview' ORDER BY slot`,
    )
    // 03:30: hours 0, 1 and 2 of today are closed.
    expect(hours).toEqual([
      { slot: 0, value: 0 },
      { slot: 1, value: 0 },
      { slot: 2, value: 0 },
    ])
    const yesterday = await rows<{ slot: number; value: number }>(
      warehouse,
      `SELECT slot, value FROM released FINAL WHERE site = 'exact' AND grain = 'hour' AND day = '2026-04-01'
         AND measurement = 'traffic_hourly' AND k1 = 'pageview' AND value > 0 ORDER BY slot`,
    )
    expect(yesterday).toEqual([
      { slot: 9, value: 7 },
      { slot: 11, value: 7 },
    ])
  })

  it('holds back a group below K_ANON', async () => {
    await insertEvents(warehouse, [
      ...twoSourcesEach('small', '2026-04-01', 6),
      row({ site: 'small', hour: '2026-04-01 12:00:00', visitor: '99', path: '/lonely', country: 'AT' }),
    ])
    await publishReleases(warehouse, NOW, { plan: OFF })
    const all = await released('small', '2026-04-01')
    expect(figure(all, { measurement: 'pages', k1: '/lonely' })).toEqual([])
    expect(figure(all, { measurement: 'totals', grouping: 'country', grouping_value: 'AT' })).toEqual([])
    expect(figure(all, { measurement: 'totals', grouping: '', measure: 'visitors' })).toMatchObject([
      { value: 7 },
    ])
  })

  it('says when its time budget stopped it with periods left, and a next run goes on', async () => {
    await insertEvents(warehouse, twoSourcesEach('budget', '2026-04-01', 6))
    const cut = await publishReleases(warehouse, NOW, { plan: OFF, budgetMs: -1 })
    expect(cut).toMatchObject({ published: [], stopped: true })
    const whole = await publishReleases(warehouse, NOW, { plan: OFF, budgetMs: 60_000 })
    expect(whole.stopped).toBeUndefined()
    expect(whole.published.some((period) => period.site === 'budget' && period.grain === 'day')).toBe(true)
  })

  it('publishes nothing for a day whose sketches are gone', async () => {
    await insertEvents(warehouse, twoSourcesEach('old', '2026-03-20', 7))
    await finalizeSketches(warehouse, NOW)
    await publishReleases(warehouse, NOW, { plan: OFF })
    expect(await released('old', '2026-03-20')).toEqual([])
  })
})

describe('publish with noise', () => {
  const NOW = new Date('2026-05-02T00:30:00Z')

  it('noises each cell once, publishes its stddev, and never noises a published day again', async () => {
    await insertEvents(warehouse, twoSourcesEach('noisy', '2026-05-01', 400))
    await publishReleases(warehouse, NOW, { plan: ON, random: seededRandom('first') })
    const all = await released('noisy', '2026-05-01')
    const [visitors] = figure(all, { measurement: 'totals', grouping: '', measure: 'visitors' })
    const planned = ON.groupings.find((item) => item.measurement.id === 'totals' && item.grouping === '')
    const stddev = planned?.measures.find((item) => item.measure.name === 'visitors')?.stddev ?? 0
    expect(stddev).toBeGreaterThan(1)
    expect(visitors?.stddev).toBeCloseTo(stddev, 6)
    expect(Number.isInteger(visitors?.value)).toBe(true)
    expect(Math.abs((visitors?.value ?? 0) - 400)).toBeLessThan(6 * stddev)

    await publishReleases(warehouse, NOW, { plan: ON, random: seededRandom('second') })
    expect(await released('noisy', '2026-05-01')).toEqual(all)
  })

  it('two publishers at once publish one value per cell', async () => {
    await insertEvents(warehouse, twoSourcesEach('race', '2026-05-01', 400))
    await Promise.all([
      publishReleases(warehouse, NOW, { plan: ON, random: seededRandom('a') }),
      publishReleases(warehouse, NOW, { plan: ON, random: seededRandom('b') }),
    ])
    const [claims] = await rows<{ claims: number; winners: number }>(
      warehouse,
      `SELECT count() AS claims, uniqExact(token) AS winners FROM release_ledger
       WHERE site = 'race' AND grain = 'day'`,
    )
    expect(Number(claims?.claims)).toBeGreaterThanOrEqual(1)
    const duplicates = await rows(
      warehouse,
      `SELECT measurement, grouping, grouping_value, k1, measure, count() AS n FROM released FINAL
       WHERE site = 'race' GROUP BY measurement, grain, day, slot, grouping, grouping_value, k1, measure
       HAVING n > 1`,
    )
    expect(duplicates).toEqual([])
  })
})

describe('visitor counts over days', () => {
  // Day d has 200 + 20·d visitors (well past the threshold of the day's visitors, 84), each
  // viewing three pages from two sources. A visitor back the next day has a new daily hash.
  const DAYS = ['2026-07-01', '2026-07-02', '2026-07-03', '2026-07-04']
  const TRUE = DAYS.map((_, d) => 200 + 20 * d)
  const events = (site: string) =>
    DAYS.flatMap((day, d) =>
      Array.from({ length: TRUE[d] ?? 0 }, (_, v) =>
        ['/', '/a', '/b'].map((path, p) =>
          row({
            site,
            hour: `${day} 1${p}:00:00`,
            visitor: `${d}${v}`,
            path,
            source: p ? 'direct' : 'search',
          }),
        ),
      ).flat(2),
    )
  const dailyVisitors = (site: string) =>
    rows<{ day: string; value: number; stddev: number }>(
      warehouse,
      `SELECT toString(day) AS day, value, stddev FROM released FINAL
       WHERE site = {site:String} AND grain = 'day' AND measurement = 'totals' AND grouping = ''
         AND measure = 'visitors' ORDER BY day`,
      { site },
    )

  it('are each day’s true distinct visitors, before and after the sketches are finalized: no jump', async () => {
    await insertEvents(warehouse, events('days'))
    // The 5th, 00:30: days up to the 3rd lose their sketches, the 4th keeps them.
    const now = new Date('2026-07-05T00:30:00Z')
    await publishReleases(warehouse, now, { plan: OFF })
    const before = await dailyVisitors('days')
    expect(before.map((item) => item.value)).toEqual(TRUE)
    await finalizeSketches(warehouse, now)
    expect(await dailyVisitors('days')).toEqual(before)
  })

  it('with noise, add up to the true sum of daily uniques within the published noise', async () => {
    await insertEvents(warehouse, events('days-noisy'))
    await publishReleases(warehouse, new Date('2026-07-05T00:30:00Z'), { plan: ON })
    const days = await dailyVisitors('days-noisy')
    expect(days).toHaveLength(DAYS.length)
    const sum = days.reduce((total, item) => total + item.value, 0)
    const stddev = Math.sqrt(days.reduce((total, item) => total + item.stddev ** 2, 0))
    const truth = TRUE.reduce((total, value) => total + value, 0)
    // Six standard deviations: a false failure once in 500 million runs.
    expect(Math.abs(sum - truth)).toBeLessThan(6 * stddev)
    expect(stddev).toBeGreaterThan(0)
  })
})
