import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { releasedWindow } from '../../aggregator/jobs/insights.ts'
import { daysBetween } from '../../core/periods.ts'
import { readInsights, score } from '../../demo/recovery.ts'
import { API_TOKEN, type Dashboard, startDashboard } from '../dashboard/support.ts'

/*
 * With differential privacy on (ε = 1, the default), the recommendation service's insights are
 * made from released cells only (aggregator/insights/released-offers.ts), and where they
 * recommend a variant it is the one that truly converts best there: the demo shop knows the truth
 * of every segment (demo/model/offer-truth.ts). The history spans the insights' window, last
 * calendar month and this one so far, at 1,000 visits a day as `npm run demo` records them.
 */

describe('the insights from released figures over the demo shop', () => {
  let dashboard: Dashboard
  const today = new Date().toISOString().slice(0, 10)
  const window = releasedWindow(today)
  beforeAll(async () => {
    dashboard = await startDashboard({
      days: daysBetween(window.from, today).length,
      perDay: 1000,
      env: { DP_EPSILON: '1' },
    })
  }, 600_000)
  afterAll(async () => {
    await dashboard?.close()
  })

  it('recommend the truly best variant in at least 90 % of the segments where they do', async () => {
    const judged = await readInsights(dashboard.url, 'demo', API_TOKEN)
    const scored = score(judged ?? [], dashboard.report, new Date(), window)
    const recommended = scored.filter((one) => one.verdict === 'recommended')
    console.info(
      [
        `${scored.length} released segments, ${window.from} to ${window.to}:`,
        ...scored.map(
          (one) =>
            `  ${one.best.segment}: ${one.best.variant} P(best) ${one.best.prob_best.toFixed(3)} ${one.verdict}, truly ${one.truth}`,
        ),
      ].join('\n'),
    )
    // Each device's segment is released; mobile and desktop truly prefer different variants.
    expect(scored.map((one) => one.best.segment)).toEqual(
      expect.arrayContaining([
        'device=mobile|country=*|source=*|category=*',
        'device=desktop|country=*|source=*|category=*',
      ]),
    )
    expect(recommended.length).toBeGreaterThanOrEqual(1)
    expect(recommended.filter((one) => one.right).length / recommended.length).toBeGreaterThanOrEqual(0.9)
  })

  it('answer with their noise and the privacy they were released under', async () => {
    const answer = await dashboard.api<{ release: string; suppressed: null; rows: Array<{ sd?: object }> }>(
      '/api/v1/offers?site=demo&segment=device%3Dmobile%7Ccountry%3D*%7Csource%3D*%7Ccategory%3D*',
    )
    expect(answer.release).toBe('differential-privacy')
    expect(answer.suppressed).toBeNull()
    expect(answer.rows.length).toBeGreaterThanOrEqual(2)
    for (const row of answer.rows) expect(row.sd).toMatchObject({ impressions: expect.any(Number) })
  })
})
