import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import {
  expectValid,
  launchVisitorBrowser,
  openVisitor,
  type Sent,
  settle,
  startShopService,
} from '../support/browser.ts'
import type { TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

const ARTIFACTS = new URL('../artifacts/', import.meta.url)

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: TestService
let browser: Browser
let userAgent: string

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startShopService(warehouse)
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterAll(async () => {
  await browser?.close()
  await service?.close()
  await disposeWarehouse?.()
})

async function query<T>(sql: string): Promise<T[]> {
  return (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()
}

type Product = { id: string; category: string; price?: number; quantity?: number }
type Order = { revenue: number; items: Required<Product>[] }
const productOf = (event: Sent) => event.product as Product
const ordersOf = (events: Sent[]) => events.map((event) => event.order as Order)
const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

describe('a visitor on the demo shop, end to end', () => {
  it('lands in the rollups as one visitor with every step of the journey, all from its landing source', async () => {
    const visitor = await openVisitor(browser, userAgent)
    const { page, byType } = visitor
    /** Waits until the beacon has sent `count` events of `type` in total. */
    const sentOf = (type: string, count = 1) =>
      expect.poll(() => byType(type).length, { timeout: 5_000, interval: 20 }).toBeGreaterThanOrEqual(count)
    const searched = 'Disc'

    // A newsletter link, opened from a search page: the campaign is on the landing URL only.
    await page.goto(`${service.url}/demo-shop?utm_source=news&utm_medium=email&utm_campaign=spring`, {
      referer: 'https://www.google.com/',
    })
    await sentOf('offer_impression')
    await page.click('#product-bp-1')
    await sentOf('product_view')
    await page.click('#add-to-cart')
    await sentOf('add_to_cart')
    await page.click('#buy')
    await sentOf('purchase')
    await page.click('#offer-cta')
    await sentOf('offer_click')
    await page.fill('#search-input', searched)
    await page.click('#search-button')
    await sentOf('search')
    // A product straight from the search results: a second product viewed after the first.
    await page.click('#product-bd-2')
    await expect.poll(() => byType('product_view').at(-1)?.product).toMatchObject({ id: 'bd-2' })
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: fileURLToPath(new URL('demo-shop.png', ARTIFACTS)), fullPage: true })
    // A full page load inside the shop keeps the visit's landing too.
    const loaded = byType('pageview').length
    await page.goto(`${service.url}/demo-shop/about`)
    await sentOf('pageview', loaded + 1)
    await settle(page)
    await visitor.accepted()
    const events = visitor.events()
    expectValid(events)
    await visitor.close()
    await service.flush()

    // What the browser sent, and the collector accepted, is what the rollups should hold.
    const pageviews = byType('pageview')
    const views = byType('product_view')
    const carts = byType('add_to_cart')
    const purchases = ordersOf(byType('purchase'))
    const checkouts = ordersOf(byType('checkout'))
    const pathOf = (event: Sent) => new URL(event.url as string).pathname
    // The journey itself: each step the test took produced its event.
    expect(Object.keys(countBy(pageviews, pathOf))).toEqual(
      expect.arrayContaining([
        '/demo-shop',
        '/demo-shop/product/bp-1',
        '/demo-shop/product/bd-2',
        '/demo-shop/about',
      ]),
    )
    expect(views.map((event) => productOf(event).id)).toEqual(expect.arrayContaining(['bp-1', 'bd-2']))
    expect(carts.map((event) => productOf(event).id)).toEqual(['bp-1'])
    expect(purchases.flatMap((order) => order.items.map((item) => item.id))).toEqual(['bp-1'])

    const pages = await query<{ path: string; pageviews: number }>(
      "SELECT path, sumMerge(pageviews) AS pageviews FROM pages_daily WHERE site = 'demo' GROUP BY path",
    )
    expect(Object.fromEntries(pages.map((row) => [row.path, row.pageviews]))).toEqual(
      countBy(pageviews, pathOf),
    )

    // Source and campaign belong to the visit: every pageview, wherever the journey went, counts for
    // the landing's, and so does every event of the visit.
    const sources = await query<Record<string, string | number>>(
      `SELECT source, referrer_host, utm_source, utm_medium, utm_campaign, sumMerge(pageviews) AS pageviews,
         sumMerge(visitors_final) + uniqCombinedMerge(visitors) AS visitors
       FROM sources_daily WHERE site = 'demo'
       GROUP BY source, referrer_host, utm_source, utm_medium, utm_campaign`,
    )
    expect(sources).toEqual([
      {
        source: 'email',
        referrer_host: 'google.com',
        utm_source: 'news',
        utm_medium: 'email',
        utm_campaign: 'spring',
        pageviews: pageviews.length,
        visitors: 1,
      },
    ])
    const traffic = await query<{ source: string; events: number }>(
      "SELECT source, sumMerge(events) AS events FROM traffic_daily WHERE site = 'demo' AND type != 'engagement' GROUP BY source",
    )
    expect(traffic).toEqual([{ source: 'email', events: events.length }])

    const bought = 'bp-1'
    const [product] = await query<Record<string, number>>(
      `SELECT sumMerge(views) AS views, sumMerge(carts) AS carts, sumMerge(checkouts) AS checkouts,
         sumMerge(purchases) AS purchases, sumMerge(quantity) AS quantity, sumMerge(revenue) AS revenue
       FROM products_daily WHERE site = 'demo' AND product_id = '${bought}'`,
    )
    const lines = (orders: Order[]) => orders.flatMap((order) => order.items).filter((i) => i.id === bought)
    const quantity = lines(purchases).reduce((sum, item) => sum + item.quantity, 0)
    expect(product).toEqual({
      views: views.filter((event) => productOf(event).id === bought).length,
      carts: carts.filter((event) => productOf(event).id === bought).length,
      checkouts: lines(checkouts).length,
      purchases: lines(purchases).length,
      quantity,
      revenue: expect.closeTo(lines(purchases).reduce((sum, item) => sum + item.price * item.quantity, 0)),
    })
    expect(quantity).toBeGreaterThan(0)

    const funnel = await query<{ step: string; events: number; revenue: number }>(
      `SELECT step, sumMerge(events) AS events, sumMerge(revenue) AS revenue
       FROM funnel_daily WHERE site = 'demo' GROUP BY step`,
    )
    const steps = ['product_view', 'add_to_cart', 'checkout', 'purchase']
    expect(Object.fromEntries(funnel.map((row) => [row.step, row.events]))).toEqual(
      Object.fromEntries(steps.map((step) => [step, byType(step).length])),
    )
    expect(funnel.find((row) => row.step === 'purchase')?.revenue).toBeCloseTo(
      purchases.reduce((sum, order) => sum + order.revenue, 0),
    )

    const offers = await query<{ offer: string; type: string; events: number }>(
      `SELECT concat(offer_id, '/', variant) AS offer, type, sumMerge(events) AS events
       FROM offers_daily WHERE site = 'demo' GROUP BY offer, type ORDER BY offer, type`,
    )
    const withOffer = events.filter((event) => event.offer !== undefined)
    const offerKey = (event: Sent) => {
      const { id, variant } = event.offer as { id: string; variant: string }
      return `${id}/${variant}|${event.type}`
    }
    expect(Object.fromEntries(offers.map((row) => [`${row.offer}|${row.type}`, row.events]))).toEqual(
      countBy(withOffer, offerKey),
    )
    expect(offers.map((row) => row.type)).toEqual(expect.arrayContaining(['offer_click', 'offer_impression']))

    const searches = await query<{ query: string; searches: number; zero_results: number }>(
      "SELECT query, sumMerge(searches) AS searches, sumMerge(zero_results) AS zero_results FROM search_daily WHERE site = 'demo' GROUP BY query",
    )
    const sentSearches = byType('search').map((event) => event.search as { query: string; results: number })
    expect(sentSearches.map((search) => search.query)).toEqual([searched])
    expect(searches).toEqual([
      {
        query: searched.toLowerCase(),
        searches: sentSearches.length,
        zero_results: sentSearches.filter((search) => search.results === 0).length,
      },
    ])

    const transitions = await query<{ from_product: string; to_product: string; transitions: number }>(
      `SELECT from_product, to_product, sumMerge(transitions) AS transitions
       FROM transitions_daily WHERE site = 'demo' GROUP BY from_product, to_product`,
    )
    const moves = views
      .map((event) => ({ from: (event.prev as { product?: Product } | undefined)?.product?.id, to: event }))
      .filter(({ from, to }) => from !== undefined && from !== productOf(to).id)
    expect(moves.length).toBeGreaterThan(0)
    expect(
      Object.fromEntries(
        transitions.map((row) => [`${row.from_product}>${row.to_product}`, row.transitions]),
      ),
    ).toEqual(countBy(moves, ({ from, to }) => `${from}>${productOf(to).id}`))

    // Everything above came from one browser: each rollup counts one visitor. A day's visitors are
    // the finalized count plus the sketch (see 0003_traffic.sql).
    const visitors: Record<string, number> = {}
    for (const table of [
      'traffic_daily',
      'pages_daily',
      'products_daily',
      'funnel_daily',
      'offers_daily',
      'search_daily',
      'transitions_daily',
    ]) {
      const [row] = await query<{ uniques: number }>(
        `SELECT sumMerge(visitors_final) + uniqCombinedMerge(visitors) AS uniques FROM ${table} WHERE site = 'demo'`,
      )
      visitors[table] = row?.uniques ?? 0
    }
    expect(visitors).toEqual({
      traffic_daily: 1,
      pages_daily: 1,
      products_daily: 1,
      funnel_daily: 1,
      offers_daily: 1,
      search_daily: 1,
      transitions_daily: 1,
    })
  })
})
