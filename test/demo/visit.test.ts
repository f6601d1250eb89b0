import { describe, expect, it } from 'vitest'
import { trueBest, VARIANTS } from '../../demo/model/offer-truth.ts'
import { createRandom } from '../../demo/model/random.js'
import { createVisit } from '../../demo/model/visit.ts'
import { Event } from '../../schemas/events.ts'

/*
 * `npm run demo`'s synthetic shop: what it sends is what a beacon sends, and its offer variants
 * truly convert best in different segments (test/demo/recovery.test.ts checks the insights find them).
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
