import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useSeededDashboard } from './browser-fixture.ts'
import { screenshot, settled, signIn } from './support.ts'

// Every table fits its card, numbers included, on a laptop and on a phone; the page never
// scrolls sideways. Ten days of the demo's shop (browser-fixture.ts), so labels are real ones.
const seeded = useSeededDashboard()

type Misfit = { panel: string; tab: string; column: string; right: number; within: number }

/**
 * The tables shown now whose last number column ends outside the box that shows it: the panel,
 * or the table's scroll box when that is narrower (what is past it needs a sideways scroll).
 */
function misfits(page: Page, tab: string): Promise<{ tables: number; misfits: Misfit[] }> {
  return page.evaluate((tab) => {
    const found: Misfit[] = []
    let tables = 0
    for (const table of Array.from(document.querySelectorAll<HTMLTableElement>('#views table'))) {
      const panel = table.closest<HTMLElement>('.panel, section, article')
      if (!panel || table.getBoundingClientRect().width === 0) continue
      tables++
      const scroll = table.closest('.table-scroll') ?? panel
      const box = panel.getBoundingClientRect()
      const clip = scroll.getBoundingClientRect()
      const right = Math.min(box.right, clip.right) + 0.5
      const left = Math.max(box.left, clip.left) - 0.5
      for (const row of Array.from(table.querySelectorAll('tbody tr'))) {
        const numbers = row.querySelectorAll<HTMLElement>('.num')
        const last = numbers[numbers.length - 1]
        if (!last) continue
        const cell = last.getBoundingClientRect()
        if (cell.right > right || cell.left < left) {
          found.push({
            panel: panel.id,
            tab,
            column: last.dataset.key ?? '',
            right: Math.round(cell.right),
            within: Math.round(right),
          })
          break
        }
      }
    }
    return { tables, misfits: found }
  }, tab)
}

/** Every panel's tabs in turn, measuring the tables each shows. */
async function everyTable(page: Page): Promise<{ tables: number; misfits: Misfit[] }> {
  const first = await misfits(page, 'first')
  let tables = first.tables
  const all = [...first.misfits]
  const panels = await page.$$eval('.panel[id^="panel-"]', (found) =>
    found.filter((panel) => panel.querySelector('.tabs button')).map((panel) => panel.id.slice(6)),
  )
  for (const panel of panels) {
    const tabs = await page.$$eval(`#panel-${panel} .tabs button`, (buttons) =>
      buttons.map((button) => (button as HTMLElement).dataset.tab ?? ''),
    )
    for (const tab of tabs.filter(Boolean)) {
      await page.click(`#panel-${panel} .tabs button[data-tab="${tab}"]`)
      await settled(page, panel)
      const seen = await misfits(page, `${panel}/${tab}`)
      tables += seen.tables
      all.push(...seen.misfits.filter((misfit) => misfit.panel === `panel-${panel}`))
    }
  }
  return { tables, misfits: all }
}

describe('the dashboard layout', () => {
  for (const [name, viewport] of [
    ['a laptop', { width: 1400, height: 900 }],
    ['a phone', { width: 375, height: 800 }],
  ] as const) {
    it(`shows every table's last number column inside its card on ${name}, without sideways scrolling`, async () => {
      const { page, problems } = await seeded.session(viewport)
      await signIn(page, seeded.dashboard.url)
      // The top row says how many visitors are here now, as GET /api/stats/now counts them.
      const live = await seeded.dashboard.api<{ now: { visitors: number } | null }>(
        '/api/stats/now?site=demo',
      )
      await page.waitForSelector('#visitors-now:not([hidden])')
      const text = await page.locator('#visitors-now').textContent()
      if (live.now)
        expect(text).toMatch(new RegExp(`^${live.now.visitors.toLocaleString('en-US')} visitors? now`))
      else expect(text).toMatch(/^Fewer than 5 visitors now/)
      const { tables, misfits } = await everyTable(page)
      await screenshot(page, `dashboard-layout-${viewport.width}.png`)
      // The funnel, products, offers, transitions, search, pages and sources at least.
      expect(tables).toBeGreaterThanOrEqual(10)
      expect(misfits).toEqual([])
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      const past = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
          .filter((el) => !el.closest('.sr-only, thead'))
          .map(
            (el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`,
          )
          .slice(0, 5),
      )
      expect(past).toEqual([])
      expect(overflow).toBeLessThanOrEqual(0)
      // Long labels are cut with an ellipsis and keep their whole text in a title.
      const labels = await page.$$eval('#views td.label, #views tbody th.label', (cells) =>
        cells
          .filter((cell) => cell.scrollWidth > cell.clientWidth + 1 && cell.hasAttribute('data-value'))
          .map((cell) => ({
            overflow: getComputedStyle(cell).textOverflow,
            title: cell.getAttribute('title') ?? cell.querySelector('[title]')?.getAttribute('title') ?? '',
            text: cell.textContent ?? '',
          })),
      )
      for (const label of labels) {
        expect(label.overflow).toBe('ellipsis')
        expect(label.title.length, label.text).toBeGreaterThan(0)
      }
      expect(problems).toEqual([])
    }, 120_000)
  }
})
