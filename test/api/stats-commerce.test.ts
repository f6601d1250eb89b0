import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openShopDays, type ShopDays } from './shop-days.ts'

/* Product, funnel, offer and search figures, as worked out by hand from the two days in shop-days.ts. */

let shop: ShopDays
const stats = (view: string, extra = '') => shop.stats(view, extra)

beforeAll(async () => {
  shop = await openShopDays()
})
afterAll(async () => {
  await shop?.dispose()
})

describe('GET /api/stats commerce views over events sent through the collector', () => {
  it('products', async () => {
    expect(await stats('products')).toEqual({
      rows: [
        {
          product_id: 'bp-1',
          category: 'brakes',
          views: 3,
          carts: 2,
          removals: 0,
          checkouts: 2,
          purchases: 2,
          quantity: 2,
          revenue: 79.8,
          currency: 'USD',
          visitors: 3,
        },
        {
          product_id: 'bp-2',
          category: 'tyres',
          views: 2,
          carts: 1,
          removals: 0,
          checkouts: 1,
          purchases: 1,
          quantity: 2,
          revenue: 40,
          currency: 'USD',
          visitors: 2,
        },
      ],
      suppressed: 0,
    })
    expect((await stats('products', '&category=tyres')).rows).toMatchObject([{ product_id: 'bp-2' }])
  })

  it('funnel with drop-off and conversion', async () => {
    expect(await stats('funnel')).toEqual({
      rows: [
        {
          step: 'product_view',
          events: 5,
          revenue: 0,
          currency: 'USD',
          visitors: 5,
          drop_off: null,
          conversion: 1,
        },
        {
          step: 'add_to_cart',
          events: 3,
          revenue: 0,
          currency: 'USD',
          visitors: 3,
          drop_off: 0.4,
          conversion: 0.6,
        },
        {
          step: 'checkout',
          events: 3,
          revenue: 119.8,
          currency: 'USD',
          visitors: 3,
          drop_off: 0,
          conversion: 0.6,
        },
        {
          step: 'purchase',
          events: 3,
          revenue: 119.8,
          currency: 'USD',
          visitors: 3,
          drop_off: 0,
          conversion: 0.6,
        },
      ],
      suppressed: 0,
    })
    // Tyres: C and D viewed, only D went on; the later steps are one visitor each.
    expect(await stats('funnel', '&category=tyres')).toEqual({
      rows: [
        {
          step: 'product_view',
          events: 2,
          revenue: 0,
          currency: 'USD',
          visitors: 2,
          drop_off: null,
          conversion: 1,
        },
      ],
      suppressed: 3,
    })
  })

  it('transitions', async () => {
    expect(await stats('transitions')).toEqual({
      rows: [
        {
          from_product: 'bp-0',
          from_category: 'brakes',
          to_product: 'bp-1',
          to_category: 'brakes',
          transitions: 2,
          visitors: 2,
        },
      ],
      suppressed: 1,
    })
    expect(await stats('transitions', '&product=bp-1')).toEqual({ rows: [], suppressed: 1 })
  })

  it('offers', async () => {
    expect(await stats('offers')).toEqual({
      rows: [
        {
          offer_id: 'o1',
          variant: 'A',
          impressions: 2,
          clicks: 1,
          carts: 0,
          checkouts: 0,
          purchases: 0,
          revenue: 0,
          currency: 'USD',
          visitors: 2,
        },
        {
          offer_id: 'o1',
          variant: 'B',
          impressions: 2,
          clicks: 1,
          carts: 0,
          checkouts: 0,
          purchases: 1,
          revenue: 40,
          currency: 'USD',
          visitors: 2,
        },
      ],
      suppressed: 0,
    })
  })

  it('search terms with zero-result counts', async () => {
    expect(await stats('search')).toEqual({
      rows: [
        { query: 'pads', searches: 2, zero_results: 0, visitors: 2 },
        { query: 'xyz', searches: 2, zero_results: 2, visitors: 2 },
      ],
      suppressed: 0,
    })
  })
})
