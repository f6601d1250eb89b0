import { describe, expect, it } from 'vitest'
import { createCountryLookup, createUaClassifier } from '../../collector/coarsen.ts'
import {
  createEventPipeline,
  type RequestFacts,
  screenRequest,
  UNKNOWN_RESULTS,
} from '../../collector/pipeline.ts'
import { Event } from '../../schemas/events.ts'
import { EventRow } from '../../schemas/row.ts'
import { CHROME_UA } from '../support/http.ts'

const SALT = new Uint8Array(32).fill(7)
const processEvent = createEventPipeline({
  sites: new Map([['shop', ['https://shop.example']]]),
  queryParams: new Map([['shop', new Set(['page'])]]),
  classifyUa: createUaClassifier(),
  lookupCountry: createCountryLookup({ trustProxy: false }),
})

const request = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  headers: new Headers(),
  ip: '8.8.8.8',
  userAgent: CHROME_UA,
  origin: 'https://shop.example',
  now: new Date('2026-11-20T10:42:17Z'),
  ...overrides,
})

const run = (event: unknown, facts = request()) => processEvent(Event.parse(event), facts, SALT)
const valid = { type: 'pageview', site: 'shop', url: 'https://shop.example/' }

describe('request steps', () => {
  it('drop opted-out visitors first, then bots', () => {
    expect(screenRequest(request({ headers: new Headers({ 'sec-gpc': '1' }), userAgent: '' }))).toEqual({
      drop: 'opt_out',
    })
    expect(screenRequest(request({ userAgent: 'curl/8.0' }))).toEqual({ drop: 'bot' })
    expect(screenRequest(request())).toBeUndefined()
  })
})

describe('event pipeline', () => {
  it('turns an event into a row of coarse, scrubbed fields', () => {
    const row = run({
      type: 'pageview',
      site: 'shop',
      url: 'https://shop.example/orders/123456/status?page=2&email=a@b.co&utm_source=News&utm_medium=email#top',
      referrer: 'https://www.google.com/search?q=brakes',
    })
    expect(EventRow.parse(row)).toMatchObject({
      hour: '2026-11-20 10:00:00',
      site: 'shop',
      type: 'pageview',
      path: '/orders/:id/status?page=2',
      referrer_host: 'google.com',
      utm_source: 'news',
      utm_medium: 'email',
      source: 'email',
      device: 'desktop',
      browser: 'Chrome',
      os: 'Linux',
      country: 'US',
    })
  })

  it("attributes a later page to the tab's landing: its referrer and the campaign sent in event.utm", () => {
    const row = run({
      type: 'product_view',
      site: 'shop',
      url: 'https://shop.example/p/brake-pads',
      referrer: 'https://www.google.com/',
      // NFKC spells each ligature out in three letters: the campaign grows past 128 and is cut.
      utm: { source: 'News jane@example.com', medium: 'E-Mail', campaign: `Spring ${'ﬃ'.repeat(60)}` },
      product: { id: 'bp-1', category: 'brakes' },
    })
    expect(row).toMatchObject({
      referrer_host: 'google.com',
      utm_source: 'news',
      utm_medium: 'e-mail',
      utm_campaign: `spring ${'ffi'.repeat(60)}`.slice(0, 128),
      source: 'email',
    })
    // Only the three tags are read; unknown keys never reach the pipeline.
    expect(Event.parse({ ...valid, utm: { source: 'a', term: 'jane@example.com' } })).toMatchObject({
      utm: { source: 'a' },
    })
    expect(JSON.stringify(Event.parse({ ...valid, utm: { term: 'jane' } }))).not.toMatch(/jane/)
  })

  it("prefers the page URL's own campaign tags to the event's, and takes none from either when absent", () => {
    const row = run({
      ...valid,
      url: 'https://shop.example/?utm_source=Bing&utm_medium=CPC',
      utm: { source: 'news', medium: 'email', campaign: 'spring' },
    })
    // The URL's tags replace the event's as a set: no campaign is mixed in from the landing.
    expect(row).toMatchObject({ utm_source: 'bing', utm_medium: 'cpc', utm_campaign: '', source: 'paid' })
    expect(run({ ...valid, utm: {} })).toMatchObject({
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      source: 'direct',
    })
    expect(run({ ...valid, utm: { source: 'news', medium: 'email' } })).toMatchObject({ source: 'email' })
  })

  it('hashes the visitor from salt, site, IP and user agent, and keeps neither', () => {
    const a = run({ type: 'pageview', site: 'shop', url: 'https://shop.example/' })
    const b = run({ type: 'pageview', site: 'shop', url: 'https://shop.example/x' })
    const other = run(
      { type: 'pageview', site: 'shop', url: 'https://shop.example/' },
      request({ ip: '8.8.4.4' }),
    )
    expect('visitor' in a && 'visitor' in b && a.visitor === b.visitor).toBe(true)
    expect('visitor' in other && 'visitor' in a && other.visitor !== a.visitor).toBe(true)
    expect(JSON.stringify(a)).not.toMatch(/8\.8\.8\.8|Mozilla|AppleWebKit/)
  })

  it('refuses unknown sites and foreign origins, naming the field', () => {
    expect(run({ type: 'pageview', site: 'other', url: 'https://shop.example/' })).toEqual({
      drop: 'unknown_site',
      field: 'site',
    })
    expect(
      run(
        { type: 'pageview', site: 'shop', url: 'https://shop.example/' },
        request({ origin: 'https://evil.example' }),
      ),
    ).toEqual({ drop: 'origin', field: 'site' })
    // Server-to-server senders have no Origin.
    expect(
      'drop' in
        run({ type: 'pageview', site: 'shop', url: 'https://shop.example/' }, request({ origin: undefined })),
    ).toBe(false)
  })

  it('carries orders, context and the category of interest', () => {
    const row = run({
      type: 'purchase',
      site: 'shop',
      url: 'https://shop.example/checkout/done',
      prev: { url: 'https://shop.example/cart?coupon=JANE', product: { id: 'bp-0', category: 'brakes' } },
      offer: { id: 'spring', variant: 'b' },
      order: {
        revenue: 99.5,
        currency: 'EUR',
        items: [
          { id: 'oil-1', category: 'oil', price: 19.5, quantity: 1 },
          { id: 'bp-1', category: 'brakes', price: 40, quantity: 2 },
        ],
      },
    })
    expect(row).toMatchObject({
      revenue: 99.5,
      currency: 'EUR',
      item_ids: ['oil-1', 'bp-1'],
      item_categories: ['oil', 'brakes'],
      item_prices: [19.5, 40],
      item_quantities: [1, 2],
      category: 'oil',
      prev_path: '/cart',
      prev_product_id: 'bp-0',
      offer_id: 'spring',
      offer_variant: 'b',
    })
  })

  it('stores a refund with its value negated, and the checkout steps with theirs (docs/ga4.md)', () => {
    const order = {
      revenue: 30.03,
      currency: 'USD',
      items: [{ id: 'SKU_1', category: 'Apparel', price: 10.01, quantity: 3 }],
    }
    const url = 'https://shop.example/account/orders'
    expect(run({ type: 'refund', site: 'shop', url, order })).toMatchObject({
      type: 'refund',
      revenue: -30.03,
      item_ids: ['SKU_1'],
      item_prices: [10.01],
      category: 'Apparel',
    })
    for (const type of ['shipping_info', 'payment_info']) {
      expect(run({ type, site: 'shop', url, order })).toMatchObject({
        type,
        revenue: 30.03,
        item_ids: ['SKU_1'],
      })
      expect(run({ type, site: 'shop', url })).toMatchObject({ type, revenue: 0, item_ids: [] })
    }
  })

  it('stores a search without a result count so that it is never a zero-result search', () => {
    const row = run({
      type: 'search',
      site: 'shop',
      url: 'https://shop.example/search',
      search: { query: 't-shirts' },
    })
    expect(row).toMatchObject({ search_query: 't-shirts', search_results: UNKNOWN_RESULTS })
    expect(EventRow.parse(row)).toBeTruthy()
  })

  it('keeps what is left of a search after scrubbing, lower-cased', () => {
    const row = run({
      type: 'search',
      site: 'shop',
      url: 'https://shop.example/search',
      search: { query: 'Brake Pads jane@example.com +49 151 2345678', results: 0 },
    })
    expect(row).toMatchObject({ search_query: 'brake pads', search_results: 0 })
  })

  it('scrubs custom properties and stringifies their values', () => {
    const row = run({
      type: 'custom',
      site: 'shop',
      url: 'https://shop.example/',
      name: 'signup',
      props: { plan: 'pro', seats: 3, trial: true, contact: 'jane@example.com' },
    })
    expect(row).toMatchObject({
      name: 'signup',
      prop_keys: ['plan', 'seats', 'trial', 'contact'],
      prop_values: ['pro', '3', 'true', ''],
    })
  })
  it("scrubs an engagement report's entry page exactly as a page's own path, and keeps it for no other type", () => {
    const landing =
      'https://shop.example/account/jane.doe@example.com/orders/123456?page=2&email=jane@example.com&token=abc#reset=xyz'
    const asPage = run({ type: 'pageview', site: 'shop', url: landing }) as EventRow
    const report = run({
      type: 'engagement',
      site: 'shop',
      url: 'https://shop.example/p/brake-pads',
      ms: 4000,
      scroll: 50,
      scroll_from: 0,
      entry: landing,
    }) as EventRow
    expect(report.entry_path).toBe(asPage.path)
    expect(report.entry_path).toBe('/account/:id/orders/:id?page=2')
    expect(report.path).toBe('/p/brake-pads')
    // A hash route is a page of its own, as in `path`.
    expect(
      (
        run({
          ...valid,
          type: 'engagement',
          ms: 1,
          scroll: 0,
          scroll_from: 0,
          entry: 'https://shop.example/app#/cart?x=1',
        }) as EventRow
      ).entry_path,
    ).toBe('/app/cart')
    // Not sent (an older beacon, a visit that timed out): no entry page.
    expect(
      (run({ ...valid, type: 'engagement', ms: 1, scroll: 0, scroll_from: 0 }) as EventRow).entry_path,
    ).toBe('')
    // Only engagement reports carry it; another type's `entry` is an unknown field, dropped.
    expect((run({ ...valid, entry: landing }) as EventRow).entry_path).toBe('')
    // Not a URL: refused with the event, naming nothing else.
    expect(() =>
      Event.parse({
        ...valid,
        type: 'engagement',
        ms: 1,
        scroll: 0,
        scroll_from: 0,
        entry: 'jane@example.com',
      }),
    ).toThrow()
  })
})
