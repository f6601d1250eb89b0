import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fmtDuration } from '../../dashboard/client/format.ts'
import { query, useSeededDashboard } from './browser-fixture.ts'
import { choose, generation, parseCsv, ready, screenshot, settled, signIn, tableOf } from './support.ts'
import { viewChecks } from './view-checks.ts'

// The filters across every view and in the URL, and the CSV export of every table.
const seeded = useSeededDashboard()
const { session, range } = seeded
const { expectEveryView } = viewChecks(seeded)

describe('the dashboard in a browser', () => {
  it('applies the filters to every view, keeps them in the URL and changes the figures', async () => {
    const { page, problems } = await session()
    await signIn(page, seeded.dashboard.url)
    const params = range(30)
    const all = await seeded.dashboard.api<{ current: Record<string, number> }>(
      `/api/stats/overview?${query(params)}`,
    )

    await choose(page, '#f-device', 'mobile')
    expect(new URL(page.url()).searchParams.get('device')).toBe('mobile')
    const mobile = await expectEveryView(page, { ...params, device: 'mobile' })
    expect(mobile.overview.current?.visitors).toBeLessThan(all.current.visitors as number)
    expect(mobile.overview.current?.visitors).toBeGreaterThan(0)

    // A category, picked from a row of the products view: the views that hold no category say so.
    const before = await generation(page)
    await page.click('#panel-products button.cell-filter:text-is("tyres")')
    await ready(page, before)
    expect(new URL(page.url()).searchParams.get('category')).toBe('tyres')
    const tyres = await expectEveryView(page, { ...params, device: 'mobile', category: 'tyres' })
    expect(tyres.products.rows.every((row) => row.category === 'tyres')).toBe(true)
    expect(tyres.funnel.rows[0]?.visitors).toBeLessThan(Number(mobile.funnel.rows[0]?.visitors))
    expect(await page.locator('#panel-pages .unapplied').textContent()).toContain('Not narrowed by category')
    expect(await page.locator('#panel-products .unapplied').count()).toBe(0)
    await screenshot(page, 'dashboard-filtered.png')

    // The URL is the view: a reload keeps it, and Back returns to the one before.
    await page.reload()
    await ready(page)
    expect(await page.locator('#f-device').inputValue()).toBe('mobile')
    expect(await page.locator('#f-category').inputValue()).toBe('tyres')
    await expectEveryView(page, { ...params, device: 'mobile', category: 'tyres' })
    const back = await generation(page)
    await page.goBack()
    await ready(page, back)
    expect(new URL(page.url()).searchParams.get('category')).toBeNull()
    expect(await page.locator('#f-category').inputValue()).toBe('')

    // A country from the countries view, then the source filter from the form.
    const country = await generation(page)
    await page.click('#panel-countries button.cell-filter:has-text("Austria")')
    await ready(page, country)
    await choose(page, '#f-source', 'search')
    expect(new URL(page.url()).searchParams.get('country')).toBe('AT')
    await expectEveryView(page, { ...params, device: 'mobile', country: 'AT', source: 'search' })
    expect(problems).toEqual([])
  })

  it('exports any table as CSV holding exactly the rows shown', async () => {
    const { page } = await session()
    await signIn(page, seeded.dashboard.url)
    for (const [panel, tab] of [
      ['pages', ''],
      ['countries', ''],
      ['products', ''],
      ['sources', 'utm_campaign'],
      ['search', 'zero'],
      ['traffic', 'table'],
      ['insights', ''],
      ['entry-pages', ''],
    ] as const) {
      if (tab) await page.click(`#panel-${panel} [data-tab="${tab}"][aria-pressed="false"]`)
      await settled(page, panel)
      if (panel === 'insights') await page.waitForSelector('#panel-insights table')
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`#panel-${panel} header button.csv`),
      ])
      expect(download.suggestedFilename()).toMatch(/^tally_demo_.+\.csv$/)
      const csv = parseCsv(readFileSync((await download.path()) as string, 'utf8'))
      const within = panel === 'insights' ? '#insights-summary' : ''
      const shown = await tableOf(page, panel, within)
      const [header, ...rows] = csv
      expect(rows.length, `${panel} CSV rows`).toBe(shown?.rows.length)
      expect(rows.length).toBeGreaterThan(0)
      // Every column the page shows is in the file, with the same raw value in every row.
      const labels = await page.locator(`#panel-${panel} ${within} thead th`).allTextContents()
      for (const [column, key] of (shown?.keys ?? []).entries()) {
        const at = header?.indexOf(labels[column] as string) ?? -1
        if (key === 'interval') continue
        expect(at, `${panel} CSV has column ${labels[column]}`).toBeGreaterThanOrEqual(0)
        rows.forEach((row, index) => {
          expect(row[at], `${panel} ${key} row ${index}`).toBe(shown?.rows[index]?.[key])
        })
      }
    }
    // Entry pages' visit duration: the read API's whole seconds in the file, shown as the overview
    // card shows a duration ("1 min 05 s").
    const entries = await seeded.stats('entry-pages', range(30))
    expect(entries.rows.length).toBeGreaterThan(0)
    expect(entries.rows.some((row) => Number(row.visit_duration) > 0)).toBe(true)
    const cells = await page
      .locator('#panel-entry-pages tbody td[data-key="visit_duration"]')
      .allTextContents()
    expect(cells).toEqual(entries.rows.map((row) => fmtDuration(Number(row.visit_duration))))
    const shown = await tableOf(page, 'entry-pages')
    expect(shown?.rows.map((row) => row.visit_duration)).toEqual(
      entries.rows.map((row) => String(row.visit_duration)),
    )
  })
})
