import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  beaconLoaded,
  calls,
  expectValid,
  launchVisitorBrowser,
  openVisitor,
  type Sent,
  type ShopWindow,
  settle,
  storage,
} from '../support/browser.ts'
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
import {
  dataLayerForm,
  MALFORMED,
  NOT_COMMERCE,
  TRANSACTION_ID,
  UA,
  UA_TRANSACTION_ID,
} from './ga4-pushes.ts'

// A storefront on its own origin loads the beacon from the real service, whose collector takes
// the events; what was sent is read from the browser's own requests.
let browser: Browser
let userAgent: string
let service: TestService
let shop: Storefront
let disposeWarehouse: () => Promise<void>
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  const opened = await openTempEmbedded()
  disposeWarehouse = opened.dispose
  shop = await startStorefront()
  service = await startService(opened.warehouse, { SITES: `shop=${shop.url}` })
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

afterAll(async () => {
  await browser?.close()
  await shop?.close()
  await service?.close()
  await disposeWarehouse?.()
})

let pages = 0
/** A fresh tab on a new page of the shop, with `head` before the beacon's tag. */
async function visit(head = '', attributes?: string, init?: string) {
  const path = `/page-${++pages}`
  shop.page(path, shopPage(service.url, head, attributes))
  const visitor = await openVisitor(browser, userAgent, init)
  cleanups.push(visitor.close)
  await visitor.page.goto(`${shop.url}${path}`)
  return visitor
}

const types = (events: Sent[]) => events.map((event) => event.type)
const IDENTIFIERS = [TRANSACTION_ID, UA_TRANSACTION_ID, 'U-42', '123.456', '1700000000', 'EAIaIQ', 'G-XXX']
const expectNoIdentifier = (events: Sent[]) => {
  const sent = JSON.stringify(events)
  for (const identifier of IDENTIFIERS) expect(sent).not.toContain(identifier)
}
const push = (page: Page, messages: unknown[], layer = 'dataLayer') =>
  page.evaluate(
    ([list, name]) => {
      const target = (window as unknown as Record<string, { push(m: unknown): unknown }>)[name as string]
      return (list as unknown[]).map((message) => target?.push(message))
    },
    [messages, layer] as const,
  )

describe('the GA4 bridge in a real browser (docs/ga4.md)', () => {
  it('counts the events a page pushed before the beacon loaded, in the dataLayer form, and sends no identifier', async () => {
    const { page, until, sent } = await visit(pushScript([...NOT_COMMERCE, ...journeyPushes()]))
    const events = await until(1 + JOURNEY_TYPES.length)
    await settle(page)
    expect(types(events)).toEqual(['pageview', ...JOURNEY_TYPES])
    expect(
      sent.map((beacon) => beacon.request.url()).every((url) => url === `${service.url}/api/event`),
    ).toBe(true)
    expectValid(events)
    expectNoIdentifier(events)
    expect(events.find((event) => event.type === 'purchase')).toMatchObject({
      site: 'shop',
      order: { revenue: 72.05, currency: 'USD' },
      // The offer the tab clicked is credited with the purchase, as for a hand-written call.
      offer: { id: 'P_12345', variant: 'Summer Banner' },
    })
  })

  it('counts gtag() calls made after the beacon loaded, and sends nothing for config calls', async () => {
    const { page, until } = await visit(GTAG_SNIPPET)
    await bridgeReady(page)
    await page.evaluate(journeyGtag())
    const events = await until(1 + JOURNEY_TYPES.length)
    await settle(page)
    expect(types(events)).toEqual(['pageview', ...JOURNEY_TYPES])
    expectValid(events)
    expectNoIdentifier(events)
  })

  it("counts Universal Analytics' enhanced e-commerce shapes", async () => {
    const { page, until } = await visit(pushScript([UA.detail]))
    await bridgeReady(page)
    await push(page, [UA.add, UA.checkout, UA.checkoutStep2, UA.purchase, UA.promoView, UA.promoClick])
    const events = await until(8)
    await settle(page)
    expect(types(events)).toEqual([
      'pageview',
      'product_view',
      'add_to_cart',
      'checkout',
      'purchase',
      'offer_impression',
      'offer_impression',
      'offer_click',
    ])
    expect(events[4]).toMatchObject({ order: { revenue: 49, currency: 'EUR' } })
    expectValid(events)
    expectNoIdentifier(events)
  })

  it("runs the page's push first and returns its result, also after a GTM-like script replaced push", async () => {
    const { page, until, byType } = await visit(
      '',
      undefined,
      `window.__order = []
       const send = Navigator.prototype.sendBeacon
       Navigator.prototype.sendBeacon = function (...args) { window.__order.push('send'); return send.apply(this, args) }`,
    )
    await bridgeReady(page)
    const [view] = dataLayerForm('view_item').slice(1)
    // The plain array's push: the new length.
    expect(await push(page, [view])).toEqual([1])
    await until(2)
    // As Google Tag Manager does once it has loaded: its own push, chained to the one it found.
    const returned = await page.evaluate((message) => {
      const layer = (window as unknown as { dataLayer: { push(...m: unknown[]): unknown } }).dataLayer
      const previous = layer.push
      const order = (window as unknown as { __order: string[] }).__order
      layer.push = function (this: unknown, ...args: unknown[]) {
        order.push('page')
        previous.apply(this, args)
        return 'gtm'
      }
      order.length = 0
      return layer.push(message)
    }, view)
    expect(returned).toBe('gtm')
    await until(3)
    // And a script that replaces push without chaining to the one before.
    const replaced = await page.evaluate((message) => {
      const layer = (window as unknown as { dataLayer: unknown[] & { push(m: unknown): unknown } }).dataLayer
      const order = (window as unknown as { __order: string[] }).__order
      layer.push = (m: unknown) => {
        order.push('page')
        return Array.prototype.push.call(layer, m)
      }
      return layer.push(message)
    }, view)
    expect(replaced).toBe(3)
    await until(4)
    await settle(page)
    // Each push counted once, however many wrappers it passed, and only after the page's own push ran.
    expect(byType('product_view')).toHaveLength(3)
    expect(await page.evaluate(() => (window as unknown as { __order: string[] }).__order)).toEqual([
      'page',
      'send',
      'page',
      'send',
    ])
  })

  it('counts pushes once each when Tag Manager had replaced push before the beacon loaded', async () => {
    const gtm = `window.dataLayer = window.dataLayer || []
      window.__gtm = 0
      const previous = dataLayer.push
      dataLayer.push = function () { window.__gtm++; previous.apply(dataLayer, arguments); return 'gtm' }
      ${dataLayerForm('view_item')
        .map((message) => `dataLayer.push(${JSON.stringify(message)})`)
        .join('\n')}`
    const { page, until } = await visit(gtm)
    await bridgeReady(page)
    expect(await push(page, dataLayerForm('begin_checkout'))).toEqual(['gtm', 'gtm'])
    const events = await until(3)
    await settle(page)
    expect(types(events)).toEqual(['pageview', 'product_view', 'checkout'])
    expect(await page.evaluate(() => (window as unknown as { __gtm: number }).__gtm)).toBe(4)
  })

  it('counts a purchase once per tab: pushed twice, by two tags, and again on a reloaded thank-you page', async () => {
    const purchase = dataLayerForm('purchase')
    const { page, until, byType, sent } = await visit(
      `${GTAG_SNIPPET}\n${pushScript([...purchase, ...purchase])}`,
    )
    await until(2)
    await bridgeReady(page)
    const ecommerce = (purchase[1] as { ecommerce: object }).ecommerce
    await page.evaluate(`gtag('event', 'purchase', ${JSON.stringify(ecommerce)})`)
    await page.reload()
    await bridgeReady(page)
    await expect.poll(() => byType('pageview').length).toBe(2)
    await settle(page)
    expect(byType('purchase')).toHaveLength(1)
    // Another order in the same tab is another purchase.
    const other = { event: 'purchase', ecommerce: { ...ecommerce, transaction_id: 'T_67890' } }
    await push(page, [other])
    await expect.poll(() => byType('purchase').length).toBe(2)
    // The tab keeps only a hash of each order's id; nothing of it was sent.
    const kept = await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)))
    expect(kept).toContain('tally:orders')
    expect(kept).not.toMatch(/T_12345|T_67890/)
    expectNoIdentifier(sent.map((beacon) => beacon.body))
    expect(JSON.stringify(sent.map((beacon) => beacon.body))).not.toContain('T_67890')
  })

  it('ignores malformed pushes without an error in the page, before and after it loaded, and goes on counting', async () => {
    const before = `window.dataLayer = [${MALFORMED.map((m) => (m === undefined ? 'undefined' : JSON.stringify(m))).join(', ')}]`
    const { page, until, errors } = await visit(before)
    await bridgeReady(page)
    const results = await page.evaluate(() => {
      const layer = (window as unknown as { dataLayer: { push(...m: unknown[]): unknown } }).dataLayer
      const hostile = {
        get event() {
          throw new Error('a getter that throws')
        },
      }
      const circular: Record<string, unknown> = { event: 'purchase' }
      circular.ecommerce = { items: [circular], value: circular }
      return [layer.push(hostile), layer.push(circular), layer.push(), layer.push(null, 'x', 3)]
    })
    const length = MALFORMED.length
    expect(results).toEqual([length + 1, length + 2, length + 2, length + 5])
    await push(page, MALFORMED)
    await push(page, dataLayerForm('view_item'))
    const events = await until(2)
    await settle(page)
    expect(types(events)).toEqual(['pageview', 'product_view'])
    expect(errors).toEqual([])
  })

  it.each([
    [
      'navigator.globalPrivacyControl',
      `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })`,
    ],
    ['navigator.doNotTrack', `Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })`],
    ['the visitor opted out with tally.optOut()', `localStorage.setItem('tally:optout', '1')`],
  ])('sends and stores nothing when %s says so', async (_, init) => {
    const purchase = dataLayerForm('purchase')
    const { page, sent } = await visit(pushScript(journeyPushes()), undefined, init)
    expect(await beaconLoaded(page)).toBe(true)
    await bridgeReady(page)
    await push(page, purchase)
    await settle(page)
    expect(await calls(page)).toBe(0)
    expect(sent).toEqual([])
    expect((await storage(page)).session).toEqual([])
  })

  it('reads a renamed data layer given by data-datalayer, and only that one', async () => {
    const { page, until } = await visit(
      `${pushScript(dataLayerForm('view_item'), 'shopLayer')}\n${pushScript(dataLayerForm('begin_checkout'))}`,
      'data-ecommerce="ga4" data-datalayer="shopLayer"',
    )
    await bridgeReady(page, 'shopLayer')
    await push(page, dataLayerForm('add_payment_info'), 'shopLayer')
    await push(page, dataLayerForm('add_shipping_info'))
    const events = await until(3)
    await settle(page)
    expect(types(events)).toEqual(['pageview', 'product_view', 'payment_info'])
  })

  it('is not fetched, and nothing of the dataLayer is read, without data-ecommerce="ga4"', async () => {
    const { page, until } = await visit(pushScript(journeyPushes()), '')
    await until(1)
    await push(page, dataLayerForm('view_item'))
    await settle(page)
    expect(await calls(page)).toBe(1)
    const fetched = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((entry) => entry.name),
    )
    expect(fetched).toContain(`${service.url}/beacon.js`)
    expect(fetched.filter((name) => name.includes('ga4'))).toEqual([])
    const own = await page.evaluate(
      () =>
        Object.getOwnPropertyDescriptor((window as unknown as { dataLayer: object }).dataLayer, 'push') ??
        null,
    )
    expect(own).toBe(null)
    expect(await page.evaluate(() => typeof (window as unknown as ShopWindow).tally.optOut)).toBe('function')
  })

  it('serves the bridge cacheably, to any origin, apart from the beacon', async () => {
    const answer = await fetch(`${service.url}/beacon-ga4.js`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^application\/javascript/)
    expect(answer.headers.get('access-control-allow-origin')).toBe('*')
    const tag = answer.headers.get('etag') ?? ''
    const beacon = await fetch(`${service.url}/beacon.js`)
    expect(beacon.headers.get('etag')).not.toBe(tag)
    expect(await beacon.text()).not.toContain('tally:orders')
    expect((await fetch(`${service.url}/beacon-ga4.js`, { headers: { 'If-None-Match': tag } })).status).toBe(
      304,
    )
  })
})
