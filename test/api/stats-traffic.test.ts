import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openShopDays, type ShopDays } from './shop-days.ts'
import { figures, read } from './support.ts'

/* Traffic figures, as worked out by hand from the two days in shop-days.ts. */

let shop: ShopDays
const stats = (view: string, extra = '') => shop.stats(view, extra)

beforeAll(async () => {
  shop = await openShopDays()
})
afterAll(async () => {
  await shop?.dispose()
})

describe('GET /api/stats traffic views over events sent through the collector', () => {
  it('overview: totals, events per type, revenue and conversion; the empty previous period is held back', async () => {
    expect(await stats('overview')).toEqual({
      current: {
        from: '2026-03-10',
        to: '2026-03-11',
        pageviews: 9,
        // 4 on the 10th + 2 on the 11th: a range sums daily unique visitors (A counts once a day).
        visitors: 6,
        events: {
          pageview: 9,
          product_view: 5,
          add_to_cart: 3,
          checkout: 3,
          purchase: 3,
          search: 4,
          offer_impression: 4,
          offer_click: 2,
        },
        revenue: 119.8,
        currency: 'USD',
        conversion_rate: 0.5,
        // These events say nothing of visits (no visit_page): no visit, which describes nobody.
        visits: 0,
        views_per_visit: 0,
        bounce_rate: 0,
        visit_duration: 0,
      },
      previous: null,
      suppressed: 1,
    })
  })

  it('overview leaves out an event type done by fewer than k visitors', async () => {
    const body = await stats('overview', '&country=DE')
    // DE: A and B on the 10th, A and E on the 11th. Only A clicked an offer.
    expect(body.current).toEqual({
      from: '2026-03-10',
      to: '2026-03-11',
      pageviews: 6,
      visitors: 4,
      events: {
        pageview: 6,
        product_view: 3,
        add_to_cart: 2,
        checkout: 2,
        purchase: 2,
        search: 3,
        offer_impression: 2,
      },
      revenue: 79.8,
      currency: 'USD',
      conversion_rate: 0.5,
      visits: 0,
      views_per_visit: 0,
      bounce_rate: 0,
      visit_duration: 0,
    })
  })

  it('timeseries by day and by hour', async () => {
    expect(await stats('timeseries')).toEqual({
      rows: [
        {
          time: '2026-03-10',
          pageviews: 7,
          events: 28,
          revenue: 79.9,
          currency: 'USD',
          visitors: 4,
          visits: 0,
        },
        {
          time: '2026-03-11',
          pageviews: 2,
          events: 5,
          revenue: 39.9,
          currency: 'USD',
          visitors: 2,
          visits: 0,
        },
      ],
      suppressed: 0,
    })
    expect(await stats('timeseries', '&interval=hour')).toEqual({
      rows: [
        {
          time: '2026-03-10T10:00:00Z',
          pageviews: 7,
          events: 28,
          revenue: 79.9,
          currency: 'USD',
          visitors: 4,
          visits: 0,
        },
        {
          time: '2026-03-11T09:00:00Z',
          pageviews: 2,
          events: 5,
          revenue: 39.9,
          currency: 'USD',
          visitors: 2,
          visits: 0,
        },
      ],
      suppressed: 0,
    })
    // Filtered to mobile (C: 5 events, D: 7), the 11th had nobody: only the 10th remains.
    expect(await stats('timeseries', '&device=mobile')).toEqual({
      rows: [
        {
          time: '2026-03-10',
          pageviews: 3,
          events: 12,
          revenue: 40,
          currency: 'USD',
          visitors: 2,
          visits: 0,
        },
      ],
      suppressed: 0,
    })
  })

  it('pages', async () => {
    expect(await stats('pages')).toEqual({
      rows: [
        { path: '/', pageviews: 5, visitors: 5 },
        { path: '/p/brakes', pageviews: 2, visitors: 2 },
      ],
      suppressed: 2,
    })
    expect(await stats('pages', '&limit=1')).toEqual({
      rows: [{ path: '/', pageviews: 5, visitors: 5 }],
      suppressed: 2,
    })
  })

  it('sources by class, referrer host and campaign', async () => {
    expect(await stats('sources')).toEqual({
      rows: [
        { value: 'direct', pageviews: 4, visitors: 4 },
        { value: 'search', pageviews: 3, visitors: 3 },
        { value: 'social', pageviews: 2, visitors: 2 },
      ],
      suppressed: 0,
    })
    expect(await stats('sources', '&by=referrer_host')).toEqual({
      rows: [
        { value: '', pageviews: 4, visitors: 4 },
        { value: 'google.com', pageviews: 3, visitors: 3 },
        { value: 'facebook.com', pageviews: 2, visitors: 2 },
      ],
      suppressed: 0,
    })
    expect(await stats('sources', '&by=referrer_host&source=search')).toEqual({
      rows: [{ value: 'google.com', pageviews: 3, visitors: 3 }],
      suppressed: 0,
    })
  })

  it('devices, browsers, operating systems and countries', async () => {
    expect(await stats('devices')).toEqual({
      rows: [
        { device: 'desktop', pageviews: 6, visitors: 4 },
        { device: 'mobile', pageviews: 3, visitors: 2 },
      ],
      suppressed: 0,
    })
    expect((await stats('browsers')).rows).toEqual([
      { browser: 'Chrome', pageviews: 6, visitors: 4 },
      { browser: 'Safari', pageviews: 3, visitors: 2 },
    ])
    expect((await stats('os')).rows).toEqual([
      { os: 'Linux', pageviews: 6, visitors: 4 },
      { os: 'iOS', pageviews: 3, visitors: 2 },
    ])
    expect((await stats('countries')).rows).toEqual([
      { country: 'DE', pageviews: 6, visitors: 4 },
      { country: 'FR', pageviews: 3, visitors: 2 },
    ])
    expect(await stats('devices', '&country=FR')).toEqual({
      rows: [{ device: 'mobile', pageviews: 3, visitors: 2 }],
      suppressed: 0,
    })
  })

  it('adds finalized visitor counts of older days to the sketches of recent ones', async () => {
    // What finalize-sketches leaves behind for a closed day: a plain count, an empty sketch.
    await shop.warehouse.client.command({
      query: `INSERT INTO pages_daily
        SELECT 'shop', toDate('2026-03-09'), '/', 'direct', 'desktop', 'DE',
          sumState(toUInt64(4)), arrayReduce('uniqCombinedState', emptyArrayUInt64()), sumState(toUInt64(3))`,
    })
    const answer = await read(
      shop.service.url,
      '/api/stats/pages?site=shop&from=2026-03-09&to=2026-03-11&limit=1',
    )
    expect(figures(answer.body)).toEqual({ rows: [{ path: '/', pageviews: 9, visitors: 8 }], suppressed: 2 })
  })
})
