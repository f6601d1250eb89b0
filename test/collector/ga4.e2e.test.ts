import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { expectValid, launchVisitorBrowser, openVisitor } from '../support/browser.ts'
import { startService, type TestService } from '../support/service.ts'
import { type Storefront, startStorefront } from '../support/storefront.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  bridgeReady,
  GTAG_SNIPPET,
  JOURNEY_TYPES,
  journeyGtag,
  journeyPushes,
  pushScript,
  shopPage,
} from './ga4-page.ts'
import { dataLayerForm, TRANSACTION_ID, UA, UA_TRANSACTION_ID } from './ga4-pushes.ts'

// Two visitors on a GA4 shop (one whose page pushes in the dataLayer form before the beacon loads,
// one whose page calls gtag() after, and reloads its thank-you page), and one on a shop that still
// pushes Universal Analytics' shapes. The rollups and the read API must count each push as the
// table in docs/ga4.md says, and no table may hold a transaction id.
const DASHBOARD_TOKEN = 'dashboard-token-for-the-ga4-test-0123456789'
let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: TestService
let shop: Storefront
let browser: Browser
let userAgent: string

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  shop = await startStorefront()
  service = await startService(warehouse, {
    SITES: `shop=${shop.url},legacy=${shop.url}`,
    DASHBOARD_TOKEN,
    K_ANON: '2',
  })
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterAll(async () => {
  await browser?.close()
  await shop?.close()
  await service?.close()
  await disposeWarehouse?.()
})

async function query<T>(sql: string): Promise<T[]> {
  return (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()
}
const bySite = async <T>(sql: string, site: string) =>
  query<T>(sql.replace('{site}', `'${site}'`).replace(/\s+/g, ' '))

/** One visitor (its own user agent, so its own visitor hash) on one page of the shop. */
async function journey(
  path: string,
  html: string,
  agent: string,
  then?: (visitor: Visitor) => Promise<void>,
) {
  shop.page(path, html)
  const visitor = await openVisitor(browser, agent)
  await visitor.page.goto(`${shop.url}${path}`)
  await then?.(visitor)
  return visitor
}
type Visitor = Awaited<ReturnType<typeof openVisitor>>

describe('GA4 events, end to end, in the rollups', () => {
  it('count as docs/ga4.md says, once per order, and leave no transaction id in any table', async () => {
    const other = userAgent.replace('X11; Linux x86_64', 'Windows NT 10.0; Win64; x64')
    const legacyAgent = userAgent.replace('X11; Linux x86_64', 'Macintosh; Intel Mac OS X 10_15_7')
    const first = await journey('/before', shopPage(service.url, pushScript(journeyPushes())), userAgent)
    await first.until(1 + JOURNEY_TYPES.length)
    const second = await journey('/after', shopPage(service.url, GTAG_SNIPPET), other, async ({ page }) => {
      await bridgeReady(page)
      await page.evaluate(journeyGtag())
    })
    await second.until(1 + JOURNEY_TYPES.length)
    // The thank-you page again, in the dataLayer form this time: the same order, not counted again.
    shop.page('/after', shopPage(service.url, pushScript(dataLayerForm('purchase'))))
    await second.page.reload()
    await bridgeReady(second.page)
    await second.until(2 + JOURNEY_TYPES.length)
    const ua = [UA.detail, UA.add, UA.checkout, UA.purchase, UA.purchase, UA.promoView, UA.promoClick]
    const legacyPage = shopPage(service.url, pushScript(ua)).replace('data-site="shop"', 'data-site="legacy"')
    const legacy = await journey('/legacy', legacyPage, legacyAgent)
    await legacy.until(8)
    for (const visitor of [first, second, legacy]) {
      await visitor.accepted()
      expectValid(visitor.events())
      await visitor.close()
    }
    expect(second.byType('purchase')).toHaveLength(1)
    await service.flush()

    // The funnel, per step: two visitors each went through every step once; add_to_cart named two items.
    const funnel = await bySite<{ step: string; events: number; revenue: number; visitors: number }>(
      `SELECT step, sumMerge(events) AS events, round(sumMerge(revenue), 2) + 0 AS revenue,
         uniqCombinedMerge(visitors) AS visitors
       FROM funnel_daily WHERE site = {site} GROUP BY step ORDER BY step`,
      'shop',
    )
    expect(funnel).toEqual([
      { step: 'add_to_cart', events: 4, revenue: 0, visitors: 2 },
      { step: 'checkout', events: 2, revenue: 60.06, visitors: 2 },
      { step: 'payment_info', events: 2, revenue: 60.06, visitors: 2 },
      { step: 'product_view', events: 2, revenue: 0, visitors: 2 },
      { step: 'purchase', events: 2, revenue: 144.1, visitors: 2 },
      // A refund subtracts its value.
      { step: 'refund', events: 2, revenue: -60.06, visitors: 2 },
      { step: 'shipping_info', events: 2, revenue: 60.06, visitors: 2 },
    ])
    const totals = await bySite<{ step: string; events: number }>(
      'SELECT step, sumMerge(events) AS events FROM funnel_totals_daily WHERE site = {site} GROUP BY step ORDER BY step',
      'shop',
    )
    expect(totals).toEqual(funnel.map(({ step, events }) => ({ step, events })))

    // Products: each item counts for its product; the refunded tee's revenue is netted out.
    const products = await bySite<Record<string, number | string>>(
      `SELECT product_id, category, sumMerge(views) AS views, sumMerge(carts) AS carts,
         sumMerge(removals) AS removals, sumMerge(checkouts) AS checkouts, sumMerge(purchases) AS purchases,
         sumMerge(quantity) AS quantity, round(sumMerge(revenue), 2) + 0 AS revenue
       FROM products_daily WHERE site = {site} GROUP BY product_id, category ORDER BY product_id`,
      'shop',
    )
    expect(products).toEqual([
      {
        product_id: 'SKU_12345',
        category: 'Apparel',
        views: 2,
        carts: 2,
        removals: 0,
        checkouts: 2,
        purchases: 2,
        quantity: 6,
        revenue: 0,
      },
      {
        product_id: 'SKU_12346',
        category: 'Apparel',
        views: 0,
        carts: 2,
        removals: 2,
        checkouts: 0,
        purchases: 2,
        quantity: 4,
        revenue: 84.04,
      },
    ])

    // Promotions are offers; the tab's clicked offer is credited with its carts, checkout and purchase.
    const offers = await bySite<{ offer: string; type: string; events: number }>(
      `SELECT concat(offer_id, '/', variant) AS offer, type, sumMerge(events) AS events
       FROM offers_daily WHERE site = {site} GROUP BY offer, type ORDER BY type`,
      'shop',
    )
    expect(offers).toEqual(
      ['add_to_cart:4', 'checkout:2', 'offer_click:2', 'offer_impression:2', 'purchase:2'].map((entry) => {
        const [type, events] = entry.split(':')
        return { offer: 'P_12345/Summer Banner', type, events: Number(events) }
      }),
    )
    const searches = await bySite<Record<string, number | string>>(
      `SELECT query, sumMerge(searches) AS searches, sumMerge(zero_results) AS zero_results
       FROM search_daily WHERE site = {site} GROUP BY query`,
      'shop',
    )
    // GA4's search names no result count: counted, and never as a search that found nothing.
    expect(searches).toEqual([{ query: 't-shirts', searches: 2, zero_results: 0 }])

    // The UA shop: the same events; one purchase for two pushes of the same order.
    const legacyFunnel = await bySite<{ step: string; events: number; revenue: number }>(
      `SELECT step, sumMerge(events) AS events, round(sumMerge(revenue), 2) + 0 AS revenue
       FROM funnel_daily WHERE site = {site} GROUP BY step ORDER BY step`,
      'legacy',
    )
    expect(legacyFunnel).toEqual([
      { step: 'add_to_cart', events: 1, revenue: 0 },
      { step: 'checkout', events: 1, revenue: 15.25 },
      { step: 'product_view', events: 1, revenue: 0 },
      { step: 'purchase', events: 1, revenue: 49 },
    ])
    const legacyOffers = await bySite<{ offer: string; type: string; events: number }>(
      `SELECT concat(offer_id, '/', variant) AS offer, type, sumMerge(events) AS events
       FROM offers_daily WHERE site = {site} GROUP BY offer, type ORDER BY offer, type`,
      'legacy',
    )
    expect(legacyOffers).toEqual([
      { offer: 'FREE_SHIP13/skyscraper1', type: 'offer_impression', events: 1 },
      { offer: 'JUNE_PROMO13/banner1', type: 'offer_click', events: 1 },
      { offer: 'JUNE_PROMO13/banner1', type: 'offer_impression', events: 1 },
    ])

    // The read API releases the new steps through the same gate, in funnel order.
    const today = new Date().toISOString().slice(0, 10)
    const answer = await fetch(`${service.url}/api/stats/funnel?site=shop&from=${today}&to=${today}`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
    })
    const body = (await answer.json()) as { rows: { step: string; events: number; revenue: number }[] }
    expect(answer.status, JSON.stringify(body)).toBe(200)
    expect(body.rows.map((row) => [row.step, row.events, row.revenue])).toEqual([
      ['product_view', 2, 0],
      ['add_to_cart', 4, 0],
      ['checkout', 2, 60.06],
      ['shipping_info', 2, 60.06],
      ['payment_info', 2, 60.06],
      ['purchase', 2, 144.1],
      ['refund', 2, -60.06],
    ])

    // A dump of every stored table holds no transaction id, nor any other identifier the pages pushed.
    const tables = await query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'View')",
    )
    expect(tables.length).toBeGreaterThan(10)
    for (const { name } of tables) {
      const dump = await (
        await warehouse.client.query({ query: `SELECT * FROM ${name}`, format: 'TabSeparated' })
      ).text()
      for (const identifier of [
        TRANSACTION_ID,
        UA_TRANSACTION_ID,
        'U-42',
        '123.456',
        'SUMMER_SALE',
        'Credit Card',
      ]) {
        expect(dump, `${name} holds ${identifier}`).not.toContain(identifier)
      }
    }
  })
})
