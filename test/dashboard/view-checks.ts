import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { query, type Released, type SeededDashboard } from './browser-fixture.ts'
import { K, tableOf } from './support.ts'

const rate = (part: unknown, whole: unknown) =>
  Number(whole) > 0 ? String(Math.round((Number(part) / Number(whole)) * 10_000) / 10_000) : ''

/** Checks of what the page shows against what the read API answers for the same site and view. */
export function viewChecks(seeded: SeededDashboard) {
  const { stats } = seeded

  /** The page's table for a panel against the API's rows, key by key, in the API's order. */
  async function expectTable(page: Page, panel: string, api: Released, keys: string[], within = '') {
    const table = await tableOf(page, panel, within)
    if (api.rows.length === 0) {
      expect(table, `${panel} shows no table for an empty answer`).toBeNull()
      return
    }
    expect(table, `${panel} has a table`).not.toBeNull()
    const shown = table?.rows ?? []
    expect(shown.length, `${panel}: rows`).toBe(api.rows.length)
    api.rows.forEach((row, index) => {
      for (const key of keys) {
        expect(shown[index]?.[key], `${panel} row ${index} ${key}`).toBe(String(row[key] ?? ''))
      }
    })
    await expectSuppressedNote(page, panel, api.suppressed)
  }

  async function expectSuppressedNote(page: Page, panel: string, suppressed: number) {
    const note = page.locator(`#panel-${panel} .suppressed`)
    if (suppressed === 0) {
      await expect.poll(() => note.count(), { timeout: 2_000 }).toBe(0)
      return
    }
    await expect
      .poll(() => note.textContent())
      .toBe(`${suppressed} ${suppressed === 1 ? 'row' : 'rows'} hidden: fewer than ${K} visitors`)
  }

  /** Every range view on the page against the read API for `params` (site, range and filters). */
  async function expectEveryView(page: Page, params: Record<string, string>) {
    const traffic = { ...params }
    delete traffic.category
    const overview = await seeded.dashboard.api<{
      current: Record<string, number> | null
      previous: unknown
    }>(`/api/stats/overview?${query(traffic)}`)
    for (const key of ['visitors', 'pageviews', 'conversion_rate', 'revenue']) {
      const value = overview.current?.[key]
      expect(
        await page.locator(`[data-card="${key}"] .figure`).getAttribute('data-value'),
        `card ${key}`,
      ).toBe(value === null || value === undefined ? '' : String(value))
    }

    for (const [panel, view, keys] of [
      ['pages', 'pages', ['path', 'pageviews', 'visitors']],
      ['devices', 'devices', ['device', 'visitors', 'pageviews']],
      ['browsers', 'browsers', ['browser', 'visitors', 'pageviews']],
      ['os', 'os', ['os', 'visitors', 'pageviews']],
      ['countries', 'countries', ['country', 'visitors', 'pageviews']],
      ['search', 'search', ['query', 'searches', 'zero_results', 'visitors']],
    ] as const) {
      await expectTable(page, panel, await stats(view, traffic), [...keys])
    }
    await expectTable(page, 'sources', await stats('sources', { ...traffic, by: 'source' }), [
      'value',
      'visitors',
      'pageviews',
    ])
    const funnel = await stats('funnel', params)
    await expectTable(page, 'funnel', funnel, [
      'step',
      'visitors',
      'conversion',
      'drop_off',
      'events',
      'revenue',
    ])
    const products = await stats('products', params)
    await expectTable(page, 'products', products, [
      'product_id',
      'category',
      'views',
      'carts',
      'purchases',
      'revenue',
    ])
    const shownProducts = await tableOf(page, 'products')
    products.rows.forEach((row, index) => {
      expect(shownProducts?.rows[index]?.view_to_purchase).toBe(rate(row.purchases, row.views))
    })
    await expectTable(page, 'transitions', await stats('transitions', params), [
      'from_product',
      'to_product',
      'to_category',
      'transitions',
      'visitors',
    ])
    const offers = await stats('offers', params)
    await expectTable(page, 'offers', offers, ['impressions', 'clicks', 'purchases', 'revenue'])
    const shownOffers = await tableOf(page, 'offers')
    offers.rows.forEach((row, index) => {
      expect(shownOffers?.rows[index]?.ctr).toBe(rate(row.clicks, row.impressions))
      expect(shownOffers?.rows[index]?.conversion).toBe(rate(row.purchases, row.impressions))
    })
    return { overview, funnel, products, offers }
  }

  /** The traffic chart's data, shown as its table, against the read API's time series. */
  /**
   * `preset`: the range is a preset, so the chart starts on the first day with data when that is
   * later than `from` (dashboard/client/traffic.ts, chartStart).
   */
  async function expectSeries(
    page: Page,
    params: Record<string, string>,
    interval: 'day' | 'hour',
    preset = false,
  ) {
    const api = await stats('timeseries', { ...params, interval })
    await page.click('#panel-traffic [data-tab="table"]')
    const table = await tableOf(page, 'traffic')
    const byTime = new Map(api.rows.map((row) => [String(row.time), row]))
    const first = String(api.rows[0]?.time ?? params.from).slice(0, 10)
    const from = preset && interval === 'day' && first > String(params.from) ? first : String(params.from)
    const days = (Date.parse(`${params.to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1
    expect(table?.rows[0]?.time, 'the chart starts').toBe(interval === 'day' ? from : `${from}T00:00:00Z`)
    expect(table?.rows.length).toBe(interval === 'day' ? days : days * 24)
    for (const shown of table?.rows ?? []) {
      const row = byTime.get(String(shown.time))
      for (const key of ['pageviews', 'visitors', 'events', 'revenue']) {
        expect(shown[key], `${shown.time} ${key}`).toBe(String(row?.[key] ?? 0))
      }
    }
    // Today's hours may hold nothing yet in the first minutes of a UTC day; any longer range has rows.
    const startOfDay = interval === 'hour' && params.from === params.to && Date.now() % 86_400_000 < 3_600_000
    if (!startOfDay) expect(api.rows.length).toBeGreaterThan(0)
    await page.click('#panel-traffic [data-tab="chart"]')
    // A flat line of zeros has no height, so it is drawn but not "visible" to the browser.
    await page.waitForSelector('#panel-traffic svg polyline', { state: startOfDay ? 'attached' : 'visible' })
  }

  return { expectTable, expectSuppressedNote, expectEveryView, expectSeries }
}
