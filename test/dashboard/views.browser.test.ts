import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addDays } from '../../dashboard/state.ts'
import { query, type Released, useSeededDashboard } from './browser-fixture.ts'
import { ARTIFACTS, choose, generation, K, ready, screenshot, settled, signIn, tableOf } from './support.ts'
import { viewChecks } from './view-checks.ts'

// Every view against the read API, over each range; groups under K_ANON; a site with no events.
// RECOMMEND_PROB_BEST is not its default of 0.95, so a page that applied a rule of its own would differ.
const LEVEL = 0.9
const seeded = useSeededDashboard({ RECOMMEND_PROB_BEST: String(LEVEL) })
const { session, range, stats } = seeded
const { expectEveryView, expectSeries, expectSuppressedNote, expectTable } = viewChecks(seeded)
const today = () => seeded.dashboard.today

describe('the dashboard in a browser', () => {
  it('shows every view with the figures the read API gives for the same range', async () => {
    const { page, problems } = await session()
    await signIn(page, seeded.dashboard.url)
    const params = range(30)
    expect(new URL(page.url()).searchParams.get('range')).toBe('30d')
    const { overview } = await expectEveryView(page, params)
    expect(overview.current?.visitors).toBeGreaterThan(1000)
    // Under the cards, what protects them, as the answer states it: the k gate, with noise off here.
    await expect
      .poll(() => page.locator('#privacy-line').textContent())
      .toBe('Noise is switched off (DP_EPSILON=off): these figures are not differentially private.')
    // Ten days of data in a 30-day preset: the chart starts on the first of them, and says so.
    await expectSeries(page, params, 'day', true)
    const first = String((await stats('timeseries', params)).rows[0]?.time)
    expect(first > params.from).toBe(true)
    expect(await page.locator('#chart-start').textContent()).toMatch(/^No data before .+: the chart starts/)

    // The sources view by each of its dimensions.
    for (const by of ['referrer_host', 'utm_campaign', 'utm_source', 'utm_medium']) {
      await page.click(`#panel-sources [data-tab="${by}"]`)
      await settled(page, 'sources')
      await expectTable(page, 'sources', await stats('sources', { ...params, by }), [
        'value',
        'visitors',
        'pageviews',
      ])
    }
    // Searches that found nothing, on their own.
    await page.click('#panel-search [data-tab="zero"]')
    await settled(page, 'search')
    const search = await stats('search', params)
    const zero = search.rows.filter((row) => Number(row.zero_results) > 0)
    expect(zero.length).toBeGreaterThan(0)
    expect((await tableOf(page, 'search'))?.rows.map((row) => row.query).sort()).toEqual(
      zero.map((row) => String(row.query)).sort(),
    )

    // Offer insights per segment, as the recommendation service reads them.
    await page.waitForSelector('#panel-insights table')
    const segments = await seeded.dashboard.api<Released>('/api/v1/segments?site=demo&limit=1000')
    const best: Record<string, string> = {}
    const calls: Record<string, string> = {}
    for (const segment of segments.rows) {
      const arms = await seeded.dashboard.api<Released>(
        `/api/v1/offers?${query({ segment: String(segment.segment), limit: '1000' })}`,
      )
      const top = arms.rows.find((arm) => arm.is_best)
      if (!top) continue
      best[String(segment.segment)] = `${top.offer_id} / ${top.variant}`
      // The API's decision, at the configured level: what the badge must show.
      calls[String(segment.segment)] = String(top.decision)
      const variants = arms.rows.filter((arm) => arm.offer_id === top.offer_id).length
      const expected = variants < 2 ? 'alone' : Number(top.prob_best) >= LEVEL ? 'recommended' : 'leading'
      expect(top.decision, String(segment.segment)).toBe(expected)
    }
    const summary = await tableOf(page, 'insights', '#insights-summary')
    expect(Object.keys(best).length).toBeGreaterThan(0)
    expect(Object.fromEntries(summary?.rows.map((row) => [row.label, row.recommended]) ?? [])).toEqual(best)
    const recommended = page.locator('#insights-summary .badge:not(.pending)')
    expect(await recommended.count()).toBe(
      Object.values(calls).filter((call) => call === 'recommended').length,
    )
    expect(await page.locator('#insights-summary .badge.pending').count()).toBe(
      Object.values(calls).filter((call) => call !== 'recommended').length,
    )
    if ((await recommended.count()) > 0) {
      expect(await recommended.first().getAttribute('title')).toBe('Recommended: P(best) ≥ 90%')
    }

    await screenshot(page, 'dashboard-overview.png')
    await page.locator('#panel-insights').screenshot({ path: join(ARTIFACTS, 'dashboard-insights.png') })
    expect(problems).toEqual([])
  })

  it('switches between today, 7 days, 30 days and a custom range', async () => {
    const { page } = await session()
    await signIn(page, seeded.dashboard.url)
    const seven = await generation(page)
    await page.click('.segmented label:has-text("7 days")')
    await ready(page, seven)
    expect(new URL(page.url()).searchParams.get('range')).toBe('7d')
    await expectEveryView(page, range(7))

    const custom = { from: addDays(today(), -8), to: addDays(today(), -3) }
    const pick = await generation(page)
    await page.fill('#f-from', custom.from)
    await ready(page, pick)
    const pickTo = await generation(page)
    await page.fill('#f-to', custom.to)
    await ready(page, pickTo)
    const url = new URL(page.url())
    expect([url.searchParams.get('range'), url.searchParams.get('from'), url.searchParams.get('to')]).toEqual(
      ['custom', custom.from, custom.to],
    )
    await expectEveryView(page, custom)
    await expectSeries(page, custom, 'day')

    const todayOnly = await generation(page)
    await page.click('.segmented label:has-text("Today")')
    await ready(page, todayOnly)
    await expectEveryView(page, range(1))
    await expectSeries(page, range(1), 'hour')
  })

  it('never shows a group under K_ANON, only how many were held back', async () => {
    const { page } = await session()
    await signIn(page, seeded.dashboard.url)
    const countries = await stats('countries', range(30))
    expect(countries.suppressed).toBeGreaterThanOrEqual(1)
    expect(countries.rows.some((row) => row.country === 'JP')).toBe(false)
    await expectSuppressedNote(page, 'countries', countries.suppressed)
    const text = await page.locator('#panel-countries').textContent()
    expect(text).not.toContain('Japan')
    expect(text).not.toContain('(JP)')
    expect(await page.locator('#f-country option[value="JP"]').count()).toBe(0)
    // Nor anything the browser received: the data came from the read API, which held it back.
    const answer = await page.evaluate(
      async (params) => (await fetch(`/ui/data/countries?${params}`)).text(),
      query(range(30)),
    )
    expect(answer).not.toContain('"JP"')
    // A view of only Japan: one visitor, so nothing but the count.
    await page.goto(`${seeded.dashboard.url}/?site=demo&range=today&country=JP`)
    await ready(page)
    expect(await page.locator('[data-card="visitors"] .figure').textContent()).toBe('—')
    await expect
      .poll(() => page.locator('#overview-note').textContent())
      .toContain(`Fewer than ${K} visitors`)
    await expectSuppressedNote(page, 'countries', 1)
    expect(await tableOf(page, 'countries')).toBeNull()
  })

  it('shows the install snippet for a site without events', async () => {
    const { page } = await session()
    await signIn(page, seeded.dashboard.url)
    await choose(page, '#f-site', 'empty')
    expect(new URL(page.url()).searchParams.get('site')).toBe('empty')
    await page.waitForSelector('#empty-state:not([hidden])')
    const snippet = await page.locator('#empty-state pre').textContent()
    expect(snippet).toContain(
      `<script defer src="${seeded.dashboard.url}/beacon.js" data-site="empty"></script>`,
    )
    expect(await page.locator('#panel-overview').isVisible()).toBe(false)
    await screenshot(page, 'dashboard-empty.png', false)
  })
})
