import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  beaconLoaded,
  calls,
  expectValid,
  launchVisitorBrowser,
  openVisitor,
  type ShopWindow,
  settle,
  startShopService,
  storage,
} from '../support/browser.ts'
import type { TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// The demo shop and the beacon are served by the real service, and the beacon posts to its real
// collector; what was sent is read from the browser's own requests.
let browser: Browser
let userAgent: string
let service: TestService
let disposeWarehouse: () => Promise<void>
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  const opened = await openTempEmbedded()
  disposeWarehouse = opened.dispose
  service = await startShopService(opened.warehouse)
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

afterAll(async () => {
  await browser?.close()
  await service?.close()
  await disposeWarehouse?.()
})

async function visit(init?: string) {
  const visitor = await openVisitor(browser, userAgent, init)
  cleanups.push(visitor.close)
  return { ...visitor, origin: service.url }
}

describe('beacon in a real browser', () => {
  it('sends a pageview on load with site, url and referrer, as text/plain, from a visitor-like browser', async () => {
    const { page, origin, sent, until, byType } = await visit()
    await page.goto(`${origin}/demo-shop`, { referer: 'https://www.example.org/' })
    await until(2)
    expect(await page.evaluate(() => navigator.webdriver)).toBe(false)
    expect(byType('pageview')).toEqual([
      {
        type: 'pageview',
        site: 'demo',
        url: `${origin}/demo-shop`,
        referrer: 'https://www.example.org/',
        visit_page: 1,
        returning: false,
      },
    ])
    // Called inline before the deferred script loaded: queued by the stub, replayed by the beacon.
    expect(byType('offer_impression')).toMatchObject([{ offer: { id: 'spring-sale', variant: 'b' } }])
    for (const { request } of sent) {
      const headers = await request.allHeaders()
      expect(headers['content-type']).toMatch(/^text\/plain\b/)
      expect(headers['user-agent']).not.toMatch(/headless/i)
    }
    expectValid(sent.map((beacon) => beacon.body))
  })

  it('sends a pageview with prev.url on pushState and popstate, but not when only the query changes', async () => {
    const { page, origin, until, byType } = await visit()
    await page.goto(`${origin}/demo-shop`)
    await until(2)
    await page.click('#nav-about')
    await until(3)
    // A visit without an external referrer sends none on later pages either: a page of the shop is
    // no referrer of the visit.
    expect(byType('pageview')[1]).toEqual({
      type: 'pageview',
      site: 'demo',
      url: `${origin}/demo-shop/about`,
      prev: { url: `${origin}/demo-shop` },
      visit_page: 2,
    })
    const before = await calls(page)
    await page.evaluate(() => history.replaceState(null, '', '?sort=price'))
    await settle(page)
    expect(await calls(page)).toBe(before)
    await page.goBack()
    const events = await until(4)
    // prev.url is the page as it was viewed, without the query added later.
    expect(events[3]).toEqual({
      type: 'pageview',
      site: 'demo',
      url: `${origin}/demo-shop`,
      prev: { url: `${origin}/demo-shop/about` },
      visit_page: 3,
    })
    expectValid(events)
  })

  it('carries the last product viewed as prev.product, across SPA and full navigations', async () => {
    const { page, origin, until, byType, events } = await visit()
    await page.goto(`${origin}/demo-shop`)
    await until(2)
    await page.click('#product-bp-1')
    await until(4)
    expect(byType('product_view')).toEqual([
      {
        type: 'product_view',
        site: 'demo',
        url: `${origin}/demo-shop/product/bp-1`,
        product: { id: 'bp-1', category: 'brakes', price: 39.9 },
        prev: { url: `${origin}/demo-shop` },
      },
    ])
    await page.click('#add-to-cart')
    await page.click('#nav-home')
    await until(6)
    // No offer was clicked in this tab, so the cart is credited to none.
    expect(byType('add_to_cart')[0]).not.toHaveProperty('offer')
    expect(byType('pageview').at(-1)).toMatchObject({
      url: `${origin}/demo-shop`,
      prev: { url: `${origin}/demo-shop/product/bp-1`, product: { id: 'bp-1', category: 'brakes' } },
    })
    await page.goto(`${origin}/demo-shop/product/bd-2`)
    await until(9)
    expect(byType('product_view').at(-1)).toMatchObject({
      product: { id: 'bd-2' },
      prev: { url: `${origin}/demo-shop`, product: { id: 'bp-1', category: 'brakes' } },
    })
    expect(byType('product_view').at(-1)?.prev).not.toHaveProperty('product.price')
    expectValid(events())
  })

  it('sends cart, checkout, purchase, offer and search events as the schema has them, and no cookie', async () => {
    const { page, context, origin, until, byType, events } = await visit()
    await page.goto(`${origin}/demo-shop`)
    await until(2)
    await page.click('#offer-cta')
    await until(5)
    const offer = { id: 'spring-sale', variant: 'b' }
    expect(byType('offer_click')).toMatchObject([{ url: `${origin}/demo-shop`, offer }])
    await page.click('#add-to-cart')
    await page.click('#add-to-cart')
    await page.click('#buy')
    await until(9)
    const line = { id: 'bp-1', category: 'brakes', price: 39.9 }
    expect(byType('add_to_cart')).toMatchObject([
      { product: { ...line, quantity: 1 }, offer },
      { product: { ...line, quantity: 1 }, offer },
    ])
    const order = { revenue: 79.8, currency: 'EUR', items: [{ ...line, quantity: 2 }] }
    expect(byType('checkout')).toMatchObject([{ order, offer }])
    expect(byType('purchase')).toEqual([
      {
        type: 'purchase',
        site: 'demo',
        url: `${origin}/demo-shop/product/bp-1`,
        order,
        offer,
        prev: { url: `${origin}/demo-shop`, product: { id: 'bp-1', category: 'brakes' } },
      },
    ])
    await page.fill('#search-input', 'brake')
    await page.click('#search-button')
    await until(10)
    expect(byType('search')).toMatchObject([{ search: { query: 'brake', results: 2 } }])
    expectValid(events())
    // Context lives in the tab only: no cookie, and localStorage holds only a day number.
    expect(await context.cookies()).toEqual([])
    // The day this browser first came, for new vs returning (docs/engagement.md); never sent.
    expect(await storage(page)).toEqual({ local: ['tally:since'], session: ['tally:prev'], cookie: '' })
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem('tally:prev') ?? ''))).toEqual({
      url: `${origin}/demo-shop/product/bp-1`,
      product: { id: 'bp-1', category: 'brakes' },
      offer,
      // The visit: its pages so far, when it was last active and the URL it began on (sent only
      // with engagement reports, as their entry page); no id.
      n: 2,
      t: expect.any(Number),
      e: `${origin}/demo-shop`,
    })
  })

  it("sends the tab's landing referrer and campaign with every later event, across SPA and full navigations", async () => {
    const { page, origin, until, byType, events } = await visit()
    const referrer = 'https://www.google.com/'
    const utm = { source: 'news', medium: 'email' }
    await page.goto(`${origin}/demo-shop?utm_source=news&utm_medium=email`, { referer: referrer })
    await until(2)
    await page.click('#product-bp-1')
    await until(4)
    await page.click('#add-to-cart')
    await page.click('#nav-about')
    await until(6)
    // A full navigation inside the shop: document.referrer is the shop now, the landing is kept.
    await page.goto(`${origin}/demo-shop/product/bd-2`)
    await until(9)
    const sent = events()
    expect(sent.map((event) => event.type)).toEqual([
      'pageview',
      'offer_impression',
      'pageview',
      'product_view',
      'add_to_cart',
      'pageview',
      'pageview',
      'product_view',
      'offer_impression',
    ])
    for (const event of sent) expect(event).toMatchObject({ referrer, utm })
    // The SPA route dropped the query: the later pages carry the campaign only in utm.
    expect(byType('pageview').map((event) => new URL(event.url as string).search)).toEqual([
      '?utm_source=news&utm_medium=email',
      '',
      '',
      '',
    ])
    expect(byType('product_view')[0]).toEqual({
      type: 'product_view',
      site: 'demo',
      url: `${origin}/demo-shop/product/bp-1`,
      referrer,
      utm,
      product: { id: 'bp-1', category: 'brakes', price: 39.9 },
      prev: { url: `${origin}/demo-shop?utm_source=news&utm_medium=email` },
    })
    expectValid(sent)
    // The day this browser first came, for new vs returning (docs/engagement.md); never sent.
    expect(await storage(page)).toEqual({ local: ['tally:since'], session: ['tally:prev'], cookie: '' })
  })

  it('takes no referrer from a landing linked by the shop itself, and cuts campaign tags to 128', async () => {
    const { page, origin, until } = await visit()
    const long = 'x'.repeat(200)
    await page.goto(`${origin}/demo-shop?utm_campaign=${long}&utm_term=jane`, {
      referer: `${origin}/demo-shop/about`,
    })
    await until(2)
    await page.click('#nav-about')
    const sent = await until(3)
    for (const event of sent) {
      expect(event).not.toHaveProperty('referrer')
      expect(event.utm).toEqual({ campaign: long.slice(0, 128) })
    }
    expectValid(sent)
  })

  it.each([
    ['globalPrivacyControl', 'true'],
    ['doNotTrack', "'1'"],
    ['webdriver', 'true'],
  ])('sends and stores nothing when navigator.%s is %s', async (signal, value) => {
    const { page, origin, sent } = await visit(
      `Object.defineProperty(Navigator.prototype, '${signal}', { get: () => ${value} })`,
    )
    await page.goto(`${origin}/demo-shop`)
    await page.click('#offer-cta')
    await page.click('#add-to-cart')
    await page.click('#buy')
    expect(await beaconLoaded(page)).toBe(true)
    expect(await calls(page)).toBe(0)
    expect(await storage(page)).toEqual({ local: [], session: [], cookie: '' })
    await settle(page)
    expect(sent).toEqual([])
  })

  it('stops after tally.optOut(), across reloads, and sends again after tally.optIn()', async () => {
    const { page, origin, sent, until } = await visit()
    await page.goto(`${origin}/demo-shop`)
    await until(2)
    await page.evaluate(() => (window as unknown as ShopWindow).tally.optOut())
    expect(await storage(page)).toEqual({ local: ['tally:optout'], session: [], cookie: '' })
    await page.click('#offer-cta')
    await page.click('#add-to-cart')
    expect(await calls(page)).toBe(2)
    await page.reload()
    await page.click('#add-to-cart')
    expect(await beaconLoaded(page)).toBe(true)
    expect(await calls(page)).toBe(0)
    await settle(page)
    expect(sent).toHaveLength(2)

    await page.evaluate(() => (window as unknown as ShopWindow).tally.optIn())
    expect(await storage(page)).toEqual({ local: [], session: [], cookie: '' })
    await page.click('#add-to-cart')
    const events = await until(3)
    // Nothing from the opted-out stretch was remembered: no prev, no offer to credit.
    expect(events[2]).toEqual({
      type: 'add_to_cart',
      site: 'demo',
      url: `${origin}/demo-shop/product/bp-1`,
      product: { id: 'bp-1', category: 'brakes', price: 39.9, quantity: 1 },
    })
  })

  const refused = 'http://127.0.0.1:9/api/event'
  it.each([
    ['a refused connection', refused, undefined],
    [
      'a refused connection and no sendBeacon (fetch fallback)',
      refused,
      'delete Navigator.prototype.sendBeacon',
    ],
    ['an invalid endpoint URL', 'http://[', undefined],
  ])('never throws into the page with %s', async (_, api, init) => {
    const { page, origin, errors } = await visit(init)
    const html = await (await fetch(`${origin}/demo-shop`)).text()
    await page.route(`${origin}/demo-shop`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: html.replace('data-site="demo"', `$& data-api="${api}"`),
      }),
    )
    await page.goto(`${origin}/demo-shop`)
    await page.click('#offer-cta')
    await page.click('#add-to-cart')
    await page.click('#buy')
    expect(await calls(page)).toBeGreaterThanOrEqual(6)
    await settle(page)
    expect(errors).toEqual([])
    // The listener does see errors the page did not catch, so the empty list above means something.
    await page.evaluate(() => {
      Promise.reject(new Error('control'))
    })
    await expect.poll(() => errors.map((error) => error.message)).toEqual(['control'])
  })
})
