import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../dashboard/state.ts'
import { type Dashboard, openSession, signIn, startDashboard } from '../dashboard/support.ts'
import { launchChromium } from '../support/chromium.ts'

/*
 * The demo's shop with differential privacy on (DP_EPSILON=1, the default): six days through the
 * real collector, published and finalized as the jobs do at a start, then read as the dashboard
 * reads it. The demo knows each day's true distinct visitors (every visit comes from its own
 * address), so the Visitors card and chart are compared with the truth within the noise they
 * state, on the finalized days and the recent one alike: no jump where the sketches were destroyed.
 */

const DAYS = 6
// The page loads its views after navigation; a loaded machine may take seconds.
const WAIT = { timeout: 20_000 }
let dashboard: Dashboard
let browser: Browser

beforeAll(async () => {
  dashboard = await startDashboard({ days: DAYS, perDay: 400, env: { DP_EPSILON: '1' } })
  browser = await launchChromium()
}, 180_000)
afterAll(async () => {
  await browser?.close()
  await dashboard?.close()
})

type Point = { time: string; visitors: number | null; sd: Partial<Record<string, number>> }
type Overview = { current: { visitors: number; sd: Partial<Record<string, number>> }; release: string }

// Six standard deviations: a false failure about once in 500 million comparisons.
const within = (shown: number, truth: number, sd: number) => Math.abs(shown - truth) <= 6 * Math.max(sd, 0.5)

describe('visitors on the demo, with noise', () => {
  it('agree with the true sum of daily unique visitors, day by day, finalized or not', async () => {
    const first = addDays(dashboard.today, -(DAYS - 1))
    const yesterday = addDays(dashboard.today, -1)
    const truth = dashboard.report.truth.visitorsByDay
    const series = await dashboard.api<{ rows: Point[]; release: string }>(
      `/api/stats/timeseries?site=demo&from=${first}&to=${yesterday}`,
    )
    expect(series.release).toBe('differential-privacy')
    const days = series.rows.map((point) => point.time)
    expect(days).toEqual(Array.from({ length: DAYS - 1 }, (_, d) => addDays(first, d)))
    const misses = series.rows.filter(
      (point) => !within(point.visitors ?? -1, truth.get(point.time) ?? 0, point.sd.visitors ?? 0),
    )
    expect(misses.map((point) => `${point.time}: ${point.visitors} vs ${truth.get(point.time)}`)).toEqual([])
    // Finalized days (before yesterday) and yesterday (sketches kept) agree with the truth alike.
    const overview = await dashboard.api<Overview>(
      `/api/stats/overview?site=demo&from=${first}&to=${yesterday}`,
    )
    const total = days.reduce((sum, day) => sum + (truth.get(day) ?? 0), 0)
    expect(overview.current.sd.visitors).toBeGreaterThan(0)
    expect(within(overview.current.visitors, total, overview.current.sd.visitors ?? 0)).toBe(true)
    console.info(
      `visitors ${first}..${yesterday}: true ${total}, shown ${overview.current.visitors} ±${Math.round(1.96 * (overview.current.sd.visitors ?? 0))}`,
    )
  })

  it('shows the noise on the dashboard, and awaits the day for today’s visitors', async () => {
    const { page, context } = await openSession(browser)
    try {
      await signIn(page, dashboard.url, `/?site=demo&range=7d`)
      const visitors = page.locator('[data-card="visitors"] .figure')
      // ±: the 95 % interval, shown where it exceeds 1 % of a figure (a week of ~2,000 visitors here).
      await expect.poll(() => visitors.textContent(), WAIT).toMatch(/^[\d,]+ ±\d+$/)
      await expect
        .poll(() => page.locator('#privacy-line').textContent(), WAIT)
        .toBe('Differentially private figures: ε = 1, δ = 1e-7 per visitor-day.')
      // No count of the last minutes is released: the "visitors now" line stays hidden.
      expect(await page.locator('#visitors-now').isHidden()).toBe(true)
      await page.goto(`${dashboard.url}/?site=demo&range=today`)
      await expect.poll(() => visitors.textContent(), WAIT).toBe('—')
      await expect
        .poll(() => page.locator('[data-card="visitors"] .delta').textContent(), WAIT)
        .toBe('released when the day closes')
      // Today's pageviews come from its closed hours, whose noise at this budget dwarfs a small
      // shop's hour: the card says so with its ±. In the first hour of a UTC day no hour of today
      // is closed yet, so nothing of it is released: 0, without noise.
      await expect
        .poll(() => page.locator('[data-card="pageviews"] .figure').textContent(), WAIT)
        .toMatch(new Date().getUTCHours() > 0 ? /^[\d,]+ ±[\d,]+$/ : /^0$/)
      // Two filters: released figures take one at a time; the other is named, and nothing fails.
      await page.goto(`${dashboard.url}/?site=demo&range=7d&device=mobile&country=DE`)
      await expect
        .poll(() => page.locator('#overview-note').textContent(), WAIT)
        .toContain('narrowed by one filter at a time (device)')
      await expect.poll(() => visitors.textContent(), WAIT).toMatch(/^[\d,]+/)
      expect(await page.locator('[role="alert"]').count()).toBe(0)
    } finally {
      await context.close()
    }
  })
})
