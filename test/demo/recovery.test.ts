import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readInsights, score } from '../../demo/recovery.ts'
import { API_TOKEN, type Dashboard, startDashboard } from '../dashboard/support.ts'

/*
 * `npm run demo`'s synthetic shop: what it sends is what a beacon sends, and the insights the
 * dashboard shows recover the offer variants that truly convert best. Two weeks at 700 visits a
 * day here (the demo records four weeks at 1,000), through the real collector and insights job.
 */

describe('the insights over the demo shop', () => {
  let dashboard: Dashboard
  // The seeded history's first day: 14 days ending today.
  const firstDay = () =>
    new Date(Date.parse(`${dashboard.today}T00:00:00Z`) - 13 * 86_400_000).toISOString().slice(0, 10)
  beforeAll(async () => {
    dashboard = await startDashboard({ days: 14, perDay: 700 })
  }, 120_000)
  afterAll(async () => {
    await dashboard?.close()
  })

  it('shows the true visits, bounce rate and visit duration', async () => {
    const { current } = await dashboard.api<{
      current: { visits: number; bounce_rate: number; visit_duration: number }
    }>(`/api/stats/overview?site=demo&from=${firstDay()}&to=${dashboard.today}`)
    const { visits, bounces, engagedMs } = dashboard.report.truth
    expect(current.visits).toBe(visits)
    expect(current.bounce_rate).toBeCloseTo(bounces / visits, 3)
    expect(Math.abs(current.visit_duration - engagedMs / 1000 / visits)).toBeLessThanOrEqual(0.5)
  })

  it('recommend the truly best variant in every segment where they are sure', async () => {
    const judged = await readInsights(dashboard.url, 'demo', API_TOKEN)
    const scored = score(judged ?? [], dashboard.report)
    const recommended = scored.filter((one) => one.verdict === 'recommended')
    const leading = scored.filter((one) => one.verdict === 'leading')
    console.info(
      `${scored.length} segments: ${recommended.filter((one) => one.right).length}/${recommended.length} recommendations right, ${leading.filter((one) => one.right).length}/${leading.length} leading variants right`,
    )
    expect(recommended.length).toBeGreaterThanOrEqual(3)
    expect(
      recommended
        .filter((one) => !one.right)
        .map((one) => `${one.best.segment}: ${one.best.variant}, truly ${one.truth}`),
    ).toEqual([])
    // Where they are not yet sure, the leading variant is still right more often than chance (1 in 3).
    expect(leading.filter((one) => one.right).length / Math.max(1, leading.length)).toBeGreaterThan(0.45)
  })
})
