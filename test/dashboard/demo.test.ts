import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trueBest, VARIANTS } from '../../demo/offer-truth.ts'
import { createRandom } from '../../demo/random.ts'
import { readInsights, score } from '../../demo/recovery.ts'
import { createVisit } from '../../demo/visit.ts'
import { Event } from '../../schemas/events.ts'
import { API_TOKEN, type Dashboard, startDashboard } from './support.ts'

/*
 * `npm run demo`'s synthetic shop: what it sends is what a beacon sends, and the insights the
 * dashboard shows recover the offer variants that truly convert best. Two weeks at 700 visits a
 * day here (the demo records four weeks at 1,000), through the real collector and insights job.
 */

describe('the demo shop', () => {
  it('sends only events the collector schema accepts whole, with the beacon tab context', () => {
    const random = createRandom(1)
    const types = new Set<string>()
    for (let n = 0; n < 2000; n++) {
      const visit = createVisit({
        random,
        origin: 'http://localhost:8787',
        site: 'demo',
        ip: `100.64.0.${n % 250}`,
      })
      expect(visit.events.length).toBeLessThanOrEqual(50)
      for (const event of visit.events) {
        const parsed = Event.safeParse(event)
        expect(parsed.error, JSON.stringify(event)).toBeUndefined()
        // Nothing the schema would drop: the event is exactly what a beacon sends.
        expect(parsed.data).toEqual(event)
        types.add(event.type as string)
      }
      // An offer's cart, checkout and order carry the clicked offer, as the beacon adds it.
      const clicked = visit.events.findIndex((event) => event.type === 'offer_click')
      for (const event of visit.events.slice(clicked + 1)) {
        if (clicked >= 0 && /^(add_to_cart|checkout|purchase)$/.test(event.type as string)) {
          expect(event.offer).toEqual(visit.events[clicked]?.offer)
        }
      }
    }
    expect([...types].sort()).toEqual(
      [
        'add_to_cart',
        'checkout',
        'custom',
        'download',
        'engagement',
        'not_found',
        'offer_click',
        'outbound',
        'offer_impression',
        'pageview',
        'product_view',
        'purchase',
        'remove_from_cart',
        'search',
      ].sort(),
    )
  })

  it('sends visits as the beacon does: the landing context on every event, each page placed in its visit', () => {
    const random = createRandom(2)
    let bounces = 0
    for (let n = 0; n < 500; n++) {
      const visit = createVisit({ random, origin: 'http://localhost:8787', site: 'demo', ip: '100.64.0.1' })
      const pageviews = visit.events.filter((event) => event.type === 'pageview')
      expect(pageviews.map((event) => event.visit_page)).toEqual(pageviews.map((_, i) => i + 1))
      expect(visit.truth.pages).toBe(pageviews.length)
      if (pageviews.length === 1) bounces++
      // Every event carries the landing's referrer and campaign, never a page of the shop itself.
      const first = visit.events[0] as { referrer?: string; utm?: object }
      for (const event of visit.events) {
        expect(event.referrer).toBe(first.referrer)
        expect(event.referrer ?? '').not.toMatch(/localhost/)
      }
    }
    // Some bounce, most do not.
    expect(bounces).toBeGreaterThan(50)
    expect(bounces).toBeLessThan(400)
  })

  it('has a different best variant in different segments', () => {
    const best = new Set(
      ['desktop', 'mobile', 'tablet'].flatMap((device) =>
        ['search', 'social', 'email', 'paid', 'direct'].map((source) => trueBest(device, source)),
      ),
    )
    expect(best.size).toBeGreaterThan(1)
    expect([...best].every((variant) => (VARIANTS as readonly string[]).includes(variant))).toBe(true)
  })
})

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
    }>(
      `/api/stats/overview?site=demo&from=2000-01-01&to=${dashboard.today}`.replace('2000-01-01', firstDay()),
    )
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
