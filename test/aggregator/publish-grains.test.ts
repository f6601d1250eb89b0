import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkExactCells, checkReleases } from '../../aggregator/audit/release-checks.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { type ReleasePlan, releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { seededRandom } from '../../core/dp/index.ts'
import { addDays, daysBetween } from '../../core/periods.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { keyParts, releasedReader } from '../../warehouse/released/reader.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { rows } from './support.ts'

/*
 * Lists published per ISO week and month (docs/privacy.md, "Time grains"): a page with 10
 * visitors a day is held back on every day and released over four weeks, from exact per-day
 * cells kept only until every period of their day is published.
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

// September 2026 starts on a Tuesday; 2026-10-05 is a Monday.
const DAYS = daysBetween('2026-09-01', '2026-10-04')
const NOW = new Date('2026-10-05T00:30:00Z')
const FOUR_WEEKS = { from: '2026-09-07', to: '2026-10-04' }

/** `/ten`: 10 visitors a day; `/big`: 60 a day. A visitor back the next day has a new daily hash. */
function traffic(site: string) {
  return DAYS.flatMap((day, d) => [
    ...Array.from({ length: 10 }, (_, v) =>
      row({ site, hour: `${day} 10:00:00`, visitor: String(d * 1000 + v), path: '/ten' }),
    ),
    ...Array.from({ length: 60 }, (_, v) =>
      row({ site, hour: `${day} 12:00:00`, visitor: String(500_000 + d * 1000 + v), path: '/big' }),
    ),
  ])
}

const pageCells = (site: string, grain: string, path: string) =>
  rows<{ day: string; value: number }>(
    warehouse,
    `SELECT toString(day) AS day, value FROM released FINAL
     WHERE site = {site:String} AND grain = {grain:String} AND measurement = 'pages' AND grouping = ''
       AND k1 = {path:String} AND measure = 'visitors' ORDER BY day`,
    { site, grain, path },
  )

const pagesOver = async (site: string, range: { from: string; to: string }) => {
  const figures = await releasedReader(warehouse).byKey('pages', { site, ...range, filter: null })
  return new Map([...figures].map(([key, measures]) => [keyParts(key)[0], measures.get('visitors')]))
}

describe('weeks and months with DP off (the arithmetic), K_ANON 50', () => {
  const OFF = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), 50)
  const site = 'grains'

  it('publishes closed weeks and months after their days, from the sum of daily uniques', async () => {
    await insertEvents(warehouse, traffic(site))
    // finalize-sketches asks for days only: no week or month yet, and their exact cells are kept.
    await publishReleases(warehouse, NOW, { plan: OFF, grains: ['day'] })
    expect(await pageCells(site, 'week', '/ten')).toEqual([])
    const [kept] = await rows<{ n: number }>(
      warehouse,
      'SELECT count() AS n FROM exact_cells WHERE site = {site:String}',
      { site },
    )
    expect(Number(kept?.n)).toBeGreaterThan(0)

    const report = await publishReleases(warehouse, NOW, { plan: OFF })
    expect(report.published.filter((period) => period.grain === 'week').map((period) => period.day)).toEqual([
      '2026-08-31',
      '2026-09-07',
      '2026-09-14',
      '2026-09-21',
      '2026-09-28',
    ])
    // 10 a day is below K_ANON on every day, and 60 (Sep 1–6) or 70 a week is not.
    expect(await pageCells(site, 'day', '/ten')).toEqual([])
    expect(await pageCells(site, 'day', '/big')).toHaveLength(DAYS.length)
    expect(await pageCells(site, 'week', '/ten')).toEqual([
      { day: '2026-08-31', value: 60 },
      { day: '2026-09-07', value: 70 },
      { day: '2026-09-14', value: 70 },
      { day: '2026-09-21', value: 70 },
      { day: '2026-09-28', value: 70 },
    ])
    // September has closed, October has not.
    expect(await pageCells(site, 'month', '/ten')).toEqual([{ day: '2026-09-01', value: 300 }])

    const again = await publishReleases(warehouse, NOW, { plan: OFF })
    expect(again.published.filter((period) => period.site === site)).toEqual([])
  })

  it('drops the exact cells of a month once its month and weeks are published, keeps the others', async () => {
    const months = await rows<{ month: string }>(
      warehouse,
      'SELECT DISTINCT toString(toStartOfMonth(day)) AS month FROM exact_cells WHERE site = {site:String} ORDER BY month',
      { site },
    )
    expect(months).toEqual([{ month: '2026-10-01' }])
    expect(await checkExactCells(warehouse, '2026-10-03')).toEqual([])
  })

  it('answers four weeks from week cells: the page absent from every day is there, exact', async () => {
    const pages = await pagesOver(site, FOUR_WEEKS)
    expect(pages.get('/ten')).toEqual({ value: 280, stddev: 0 })
    expect(pages.get('/big')).toEqual({ value: 1680, stddev: 0 })
    // A whole month from its month cell; a range ending in an unpublished week falls back to days.
    expect((await pagesOver(site, { from: '2026-09-01', to: '2026-09-30' })).get('/ten')?.value).toBe(300)
    expect((await pagesOver(site, { from: '2026-09-28', to: '2026-10-11' })).get('/ten')?.value).toBe(70)
    // Shorter than a week: days only, where the page is held back.
    expect((await pagesOver(site, { from: '2026-09-08', to: '2026-09-13' })).get('/ten')).toBeUndefined()
    // A measurement published per day only is still read per day.
    const totals = await releasedReader(warehouse).byKey('totals', { site, ...FOUR_WEEKS, filter: null })
    expect([...totals.values()][0]?.get('visitors')?.value).toBe(70 * 28)
  })

  it('reports exact cells kept after their week and month have closed', async () => {
    await warehouse.client.insert({
      table: 'exact_cells',
      values: [{ site: 'stale', day: '2026-06-03', measurement: 'pages', measure: 'visitors', value: 3 }],
      format: 'JSONEachRow',
    })
    expect(await checkExactCells(warehouse, '2026-10-03')).toMatchObject([
      { rule: 'old-exact-cells', table: 'exact_cells' },
    ])
    await warehouse.client.command({
      query: `ALTER TABLE exact_cells DELETE WHERE site = 'stale' SETTINGS mutations_sync = 2`,
    })
  })
})

/** The smallest ε of the grid at which a page of `perDay` a day passes its week and never a day. */
function planFor(perDay: number): ReleasePlan {
  for (let epsilon = 1; epsilon <= 64; epsilon *= 1.25) {
    const plan = releasePlan(MEASUREMENTS, privacyFrom(epsilon, 1e-7, false), 5)
    const pages = (grain: string) =>
      plan.groupings.find(
        (item) => item.measurement.id === 'pages' && item.grouping === '' && item.grain === grain,
      )
    const week = pages('week')
    const day = pages('day')
    const sd = (item: typeof week) => item?.measures.find((m) => m.measure.kind === 'visitors')?.stddev ?? 0
    if (!week?.threshold || !day?.threshold) continue
    // Five standard deviations each way: the week passes, no day does.
    if (week.threshold + 5 * sd(week) <= 7 * perDay && day.threshold - 5 * sd(day) >= perDay) return plan
  }
  throw new Error('no ε of the grid separates the week from the day')
}

describe('weeks with noise', () => {
  const site = 'grains-noisy'

  it('releases the page over four weeks within the published noise, and on no single day', async () => {
    const plan = planFor(10)
    await insertEvents(warehouse, traffic(site))
    // Two publishers at once: one value per cell all the same.
    await Promise.all([
      publishReleases(warehouse, NOW, { plan, random: seededRandom('a') }),
      publishReleases(warehouse, NOW, { plan, random: seededRandom('b') }),
    ])
    const duplicates = await rows(
      warehouse,
      `SELECT grain, day, measurement, grouping, k1, measure, count() AS n FROM released FINAL
       WHERE site = {site:String} GROUP BY grain, day, slot, measurement, grouping, grouping_value, k1, k2, k3, measure
       HAVING n > 1`,
      { site },
    )
    expect(duplicates).toEqual([])
    // The audit knows the weeks' and months' cells and their rows saying so: claimed, over k (the
    // other site of this file published without noise, which is a violation of its own).
    const audit = await checkReleases(warehouse, 5)
    expect(audit.filter((violation) => violation.rule !== 'unnoised-release')).toEqual([])
    expect(await pageCells(site, 'day', '/ten')).toEqual([])
    const ten = (await pagesOver(site, FOUR_WEEKS)).get('/ten')
    expect(ten?.stddev).toBeGreaterThan(0)
    expect(Math.abs((ten?.value ?? 0) - 280)).toBeLessThan(6 * (ten?.stddev ?? 0))
    // The weeks' noise, summed: four independent draws.
    const week = plan.groupings.find((item) => item.measurement.id === 'pages' && item.grain === 'week')
    const sd = week?.measures.find((m) => m.measure.kind === 'visitors')?.stddev ?? 0
    expect(ten?.stddev).toBeCloseTo(2 * sd, 6)
    expect(addDays(FOUR_WEEKS.from, 27)).toBe(FOUR_WEEKS.to)
  })
})

describe('the plan of the grains', () => {
  const ON = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), 5)
  const LISTS = [
    'pages',
    'sources.source',
    'sources.referrer_host',
    'sources.utm_source',
    'sources.utm_medium',
    'sources.utm_campaign',
    'tech.device',
    'tech.browser',
    'tech.os',
    'tech.country',
    'entry_exit',
    'engagement',
    'links',
    'custom',
    'custom_props',
  ]

  it('publishes the lists and the offer arms, and only them, per week and month, each with a threshold', () => {
    for (const grain of ['week', 'month']) {
      const plans = ON.groupings.filter((item) => item.grain === grain)
      expect([...new Set(plans.map((item) => item.measurement.id))].sort(), grain).toEqual(
        [...LISTS, 'offer_arms'].sort(),
      )
      for (const item of plans) expect(item.threshold, `${item.measurement.id} ${grain}`).toBeGreaterThan(5)
    }
  })

  it('lets a week of the unfiltered lists pass where a day cannot', () => {
    const threshold = (id: string, grain: string) =>
      ON.groupings.find((item) => item.measurement.id === id && item.grouping === '' && item.grain === grain)
        ?.threshold ?? 0
    for (const id of ['pages', 'sources.source', 'tech.country']) {
      expect(threshold(id, 'week'), id).toBeLessThan(threshold(id, 'day') / 3)
      // At the defaults, a group of about 115 visitors a day shows over a week (docs/privacy.md).
      expect(threshold(id, 'week'), id).toBeLessThan(810)
    }
  })
})
