import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createContributionBound, DEFAULT_MAX_VISITORS } from '../../collector/contribution-bound.ts'
import {
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  ITEMS_PER_ORDER,
  REVENUE_PER_VISITOR_DAY,
  UNITS_PER_VISITOR_DAY,
  VISITS_PER_VISITOR_DAY,
} from '../../schemas/contribution.ts'
import { row } from '../support/rows.ts'

describe('the contribution bound of a visitor-day', () => {
  it('keeps at most the bound of each event type per visitor-day, and counts the rest', () => {
    const bound = createContributionBound()
    const pageviews = Array.from({ length: 25 }, () => row({ visitor: '7', type: 'pageview' }))
    const searches = Array.from({ length: 8 }, () => row({ visitor: '7', type: 'search', search_query: 'x' }))
    const { kept, dropped } = bound.admit([...pageviews, ...searches])
    expect(kept.filter((item) => item.type === 'pageview')).toHaveLength(EVENTS_PER_VISITOR_DAY.pageview)
    expect(kept.filter((item) => item.type === 'search')).toHaveLength(EVENTS_PER_VISITOR_DAY.search)
    expect(dropped).toBe(33 - EVENTS_PER_VISITOR_DAY.pageview - EVENTS_PER_VISITOR_DAY.search)
    // Across requests too, and per visitor and site: another visitor has a bound of their own.
    expect(bound.admit([row({ visitor: '7' })]).dropped).toBe(1)
    expect(bound.admit([row({ visitor: '8' })]).dropped).toBe(0)
    expect(bound.admit([row({ visitor: '7', site: 'other' })]).dropped).toBe(0)
  })

  it('forgets every visitor-day when the day of the rows changes, with the salt', () => {
    const bound = createContributionBound()
    const day = (hour: string) => Array.from({ length: 12 }, () => row({ visitor: '7', hour }))
    expect(bound.admit(day('2026-11-20 23:00:00')).kept).toHaveLength(10)
    expect(bound.size).toBe(1)
    expect(bound.admit(day('2026-11-21 00:00:00')).kept).toHaveLength(10)
    expect(bound.size).toBe(1)
  })

  it('bounds revenue per visitor-day and the items of an order', () => {
    const bound = createContributionBound()
    const items = Array.from({ length: 30 }, (_, index) => `p-${index}`)
    const purchase = (revenue: number) =>
      row({
        visitor: '9',
        type: 'purchase',
        revenue,
        item_ids: items,
        item_categories: items,
        item_prices: items.map(() => 1),
        item_quantities: items.map(() => 1),
      })
    const first = bound.admit([purchase(REVENUE_PER_VISITOR_DAY - 100)])
    expect(first.kept[0]?.item_ids).toHaveLength(ITEMS_PER_ORDER)
    expect(first.kept[0]?.item_quantities).toHaveLength(ITEMS_PER_ORDER)
    // The next purchase would take the day past the revenue bound.
    expect(bound.admit([purchase(200)]).dropped).toBe(1)
    expect(bound.admit([purchase(50)]).kept).toHaveLength(1)
  })

  it('caps the engaged seconds of a visitor-day: clips the report that crosses it, drops those after', () => {
    const bound = createContributionBound()
    const report = (engaged_ms: number, visitor = '5', hour = '2026-11-20 10:00:00') =>
      row({ visitor, hour, type: 'engagement', engaged_ms, scroll: 40 })
    const halfHour = 30 * 60 * 1000
    // 50 minutes pass whole.
    const first = bound.admit([report(halfHour), report(20 * 60 * 1000)])
    expect(first).toMatchObject({ dropped: 0, clipped: 0 })
    expect(first.kept.map((item) => item.engaged_ms)).toEqual([halfHour, 20 * 60 * 1000])
    // The next half hour is clipped to the 10 minutes left; later time is dropped.
    const second = bound.admit([report(halfHour), report(5_000)])
    expect(second).toMatchObject({ dropped: 1, clipped: 1 })
    expect(second.kept.map((item) => item.engaged_ms)).toEqual([10 * 60 * 1000])
    const kept = [...first.kept, ...second.kept].reduce((sum, item) => sum + item.engaged_ms, 0)
    expect(kept).toBe(ENGAGED_SECONDS_PER_VISITOR_DAY * 1000)
    // A report of scroll alone adds no time and still counts for scroll depth.
    expect(bound.admit([report(0)])).toMatchObject({ dropped: 0, clipped: 0 })
    // Another visitor, and the same visitor the next day, start with the whole hour.
    expect(bound.admit([report(halfHour, '6')]).kept[0]?.engaged_ms).toBe(halfHour)
    expect(bound.admit([report(halfHour, '5', '2026-11-21 00:00:00')]).kept[0]?.engaged_ms).toBe(halfHour)
  })

  it('bounds the value of every order type, by revenue or items, and the units purchased', () => {
    const bound = createContributionBound()
    const order = (type: 'checkout' | 'refund' | 'purchase', revenue: number, price: number, quantity = 1) =>
      row({
        visitor: '11',
        type,
        revenue,
        item_ids: ['p'],
        item_categories: ['c'],
        item_prices: [price],
        item_quantities: [quantity],
      })
    // A checkout's revenue counts as a purchase's does, each type on its own.
    expect(bound.admit([order('checkout', REVENUE_PER_VISITOR_DAY, 1)]).dropped).toBe(0)
    expect(bound.admit([order('checkout', 1, 1)]).dropped).toBe(1)
    // Items worth more than the order's revenue weigh by their value; a refund's by its size.
    expect(bound.admit([order('purchase', 1, REVENUE_PER_VISITOR_DAY + 1)]).dropped).toBe(1)
    expect(bound.admit([order('refund', -REVENUE_PER_VISITOR_DAY - 1, 1)]).dropped).toBe(1)
    expect(bound.admit([order('refund', -REVENUE_PER_VISITOR_DAY, 1)]).dropped).toBe(0)
    // Units: a purchase taking the day past the bound is dropped, a smaller one still fits.
    expect(bound.admit([order('purchase', 10, 1, UNITS_PER_VISITOR_DAY + 1)]).dropped).toBe(1)
    expect(bound.admit([order('purchase', 10, 1, UNITS_PER_VISITOR_DAY)]).dropped).toBe(0)
  })

  it('lets a visitor-day begin at most VISITS_PER_VISITOR_DAY visits and take back as many bounces', () => {
    const bound = createContributionBound()
    const page = (visitPage: number, path: string, visitor = '1') =>
      row({
        visitor,
        path,
        prev_path: visitPage === 1 ? '' : '/before',
        entry: visitPage === 1 ? 1 : 0,
        bounce: visitPage === 1 ? 1 : visitPage === 2 ? -1 : 0,
        visitor_kind: visitPage === 1 ? 'returning' : '',
      })
    // Five visits of two pages each: ten pageviews, all within the pageview bound.
    const rows = Array.from({ length: 5 }, (_, visit) => [
      page(1, `/v${visit}`),
      page(2, `/v${visit}/2`),
    ]).flat()
    const { kept, dropped, visitsCut } = bound.admit(rows)
    expect(dropped).toBe(0)
    expect(kept).toHaveLength(10)
    const sum = (field: 'entry' | 'bounce') => kept.reduce((total, kept) => total + kept[field], 0)
    expect(sum('entry')).toBe(VISITS_PER_VISITOR_DAY)
    expect(kept.filter((kept) => kept.visitor_kind !== '')).toHaveLength(VISITS_PER_VISITOR_DAY)
    expect(kept.filter((kept) => kept.bounce === -1)).toHaveLength(VISITS_PER_VISITOR_DAY)
    expect(sum('bounce')).toBe(0)
    // The fourth and fifth visits' first pages are pageviews of their page, beginning nothing.
    expect(kept[6]).toMatchObject({ path: '/v3', entry: 0, bounce: 0, visitor_kind: '', prev_path: '' })
    expect(visitsCut).toBe(4)
    // Bounces alone: a visitor-day's bounce column sums to at most the bound.
    const bouncer = bound.admit(Array.from({ length: 8 }, (_, visit) => page(1, `/b${visit}`, '2'))).kept
    expect(bouncer.reduce((total, kept) => total + kept.bounce, 0)).toBe(VISITS_PER_VISITOR_DAY)
    // Second pages alone (visits begun the day before): at most the bound taken back.
    const late = bound.admit(Array.from({ length: 8 }, (_, visit) => page(2, `/l${visit}`, '3'))).kept
    expect(late.reduce((total, kept) => total + kept.bounce, 0)).toBe(-VISITS_PER_VISITOR_DAY)
    // Another visitor-day has its own visits.
    expect(bound.admit([page(1, '/', '4')]).kept[0]).toMatchObject({ entry: 1, bounce: 1 })
  })

  it('fails closed when it remembers as many visitor-days as it may', () => {
    const bound = createContributionBound(2)
    expect(bound.admit([row({ visitor: '1' }), row({ visitor: '2' })]).dropped).toBe(0)
    expect(bound.admit([row({ visitor: '3' })]).dropped).toBe(1)
    expect(bound.admit([row({ visitor: '1' })]).dropped).toBe(0)
    expect(bound.size).toBe(2)
  })

  it('holds a visitor-day in under 70 bytes of arrays and nothing else, and every count through the growth of its arrays', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const hour = '2026-12-07 10:00:00'
    const used = () => {
      gc()
      const memory = process.memoryUsage()
      return memory.heapUsed + memory.arrayBuffers
    }
    const before = used()
    const bound = createContributionBound()
    const first = Array.from({ length: EVENTS_PER_VISITOR_DAY.pageview }, () => row({ hour, visitor: '1' }))
    expect(bound.admit(first).dropped).toBe(0)
    // The default bound's worth of visitor-days, each a visitor hash as the pipeline makes them.
    for (let at = 1; at < DEFAULT_MAX_VISITORS; at += 1000) {
      const rows = Array.from({ length: Math.min(1000, DEFAULT_MAX_VISITORS - at) }, (_, i) =>
        row({ hour, visitor: String(10n ** 19n + BigInt(at + i) * 7919n) }),
      )
      expect(bound.admit(rows).dropped).toBe(0)
    }
    expect(bound.size).toBe(DEFAULT_MAX_VISITORS)
    // About 670 bytes each as an object with two typed arrays per visitor-day (134 MB here), about
    // 230 keyed by the hash string in a Map. Its arrays hold about 60; the heap's measure (what
    // else the process did in between included) sees that nothing else is kept per visitor-day.
    expect(bound.bytes / DEFAULT_MAX_VISITORS).toBeLessThan(70)
    const perVisitorDay = (used() - before) / DEFAULT_MAX_VISITORS
    expect(perVisitorDay, `${perVisitorDay} bytes`).toBeLessThan(150)
    // The first visitor's count survived every doubling; a visitor past the bound is refused.
    expect(bound.admit([row({ hour, visitor: '1' })]).dropped).toBe(1)
    expect(bound.admit([row({ hour, visitor: String(10n ** 19n + 7919n) })]).dropped).toBe(0)
    expect(bound.admit([row({ hour, visitor: '2' })]).dropped).toBe(1)
  })
})
