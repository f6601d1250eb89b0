import { describe, expect, it } from 'vitest'
import { createCountryLookup, createUaClassifier } from '../../collector/coarsen.ts'
import { hashRoute } from '../../collector/hash-route.ts'
import { createEventPipeline, type RequestFacts } from '../../collector/pipeline.ts'
import { DEFAULT_PAYMENT_HOSTS, visitReferrer } from '../../collector/sources.ts'
import { describeVisit, MAX_ENGAGED_MS } from '../../collector/visits.ts'
import { loadConfig } from '../../schemas/config.ts'
import { Event } from '../../schemas/events.ts'
import { EventRow } from '../../schemas/row.ts'
import { CHROME_UA } from '../support/http.ts'

const SALT = new Uint8Array(32).fill(7)
const processEvent = createEventPipeline({
  sites: new Map([
    ['shop', ['https://shop.example', 'https://www.shop-cdn.example']],
    ['demo', ['http://localhost:8787']],
  ]),
  queryParams: new Map(),
  classifyUa: createUaClassifier(),
  lookupCountry: createCountryLookup({ trustProxy: false }),
  paymentHosts: new Map([['demo', ['pay.example']]]),
})
const facts: RequestFacts = {
  headers: new Headers(),
  ip: '8.8.8.8',
  userAgent: CHROME_UA,
  origin: undefined,
  now: new Date('2026-11-20T10:42:17Z'),
}
const run = (event: unknown) => EventRow.parse(processEvent(Event.parse(event), facts, SALT))
const page = (fields: object) => ({
  type: 'pageview',
  site: 'shop',
  url: 'https://shop.example/p/1',
  ...fields,
})

describe('visit fields (no visit id: only where a page stands in its visit)', () => {
  it('mark a visit by its first pageview, and bounce +1 on the first page and -1 on the second', () => {
    expect(run(page({ visit_page: 1, returning: false }))).toMatchObject({
      entry: 1,
      bounce: 1,
      visitor_kind: 'new',
    })
    expect(run(page({ visit_page: 1, returning: true }))).toMatchObject({ visitor_kind: 'returning' })
    expect(run(page({ visit_page: 2 }))).toMatchObject({ entry: 0, bounce: -1, visitor_kind: '' })
    expect(run(page({ visit_page: 3 }))).toMatchObject({ entry: 0, bounce: 0 })
    // A beacon that sends no position (an older one, a server-side sender) counts no visit.
    expect(run(page({}))).toMatchObject({ entry: 0, bounce: 0, visitor_kind: '' })
  })

  it('sum to visits and bounces over any set of pageviews', () => {
    // Visits of 1, 2, 1 and 5 pages: 4 visits, 2 bounces.
    const visits = [1, 2, 1, 5].flatMap((pages) =>
      Array.from({ length: pages }, (_, i) => run(page({ visit_page: i + 1 }))),
    )
    expect(visits.reduce((sum, row) => sum + row.entry, 0)).toBe(4)
    expect(visits.reduce((sum, row) => sum + row.bounce, 0)).toBe(2)
  })

  it('clamp engagement reports: 30 minutes each, scroll at most 100', () => {
    const report = (ms: number, scroll: number, from: number) =>
      run({
        type: 'engagement',
        site: 'shop',
        url: 'https://shop.example/p/1',
        ms,
        scroll,
        scroll_from: from,
      })
    expect(report(4200, 75, 40)).toMatchObject({ engaged_ms: 4200, scroll: 75, scroll_from: 40 })
    expect(report(86_400_000, 3428, 2000)).toMatchObject({
      engaged_ms: MAX_ENGAGED_MS,
      scroll: 100,
      scroll_from: 100,
    })
  })

  it('keep an outbound link’s host only and a download’s scrubbed path', () => {
    const link = (type: string, url: string) =>
      run({ type, site: 'shop', url: 'https://shop.example/', link: url })
    expect(link('outbound', 'https://www.brembo.com/en/pads?ref=jane@example.com#x').link_target).toBe(
      'brembo.com',
    )
    expect(link('outbound', 'http://192.168.1.20/admin').link_target).toBe('')
    expect(
      link('download', 'https://cdn.example/invoices/123456/jane@example.com.pdf?token=abc').link_target,
    ).toBe('/invoices/:id/:id')
    expect(link('download', 'https://shop.example/files/fitting-guide.pdf').link_target).toBe(
      '/files/fitting-guide.pdf',
    )
    expect(
      describeVisit(
        Event.parse({ type: 'not_found', site: 'shop', url: 'https://shop.example/x' }),
        new Set(),
      ),
    ).toEqual({})
  })

  it('read a hash route as the page’s path, and an anchor as nothing', () => {
    expect(hashRoute('https://shop.example/#/cart')).toBe('https://shop.example/cart')
    expect(hashRoute('https://shop.example/app#!/orders/123456?tab=2')).toBe(
      'https://shop.example/app/orders/123456?tab=2',
    )
    expect(hashRoute('https://shop.example/app?x=1#/cart')).toBe('https://shop.example/app/cart')
    expect(hashRoute('https://shop.example/faq#shipping')).toBe('https://shop.example/faq#shipping')
    expect(hashRoute('https://shop.example/#access_token=abc')).toBe('https://shop.example/#access_token=abc')
    expect(run(page({ url: 'https://shop.example/app#/orders/123456' })).path).toBe('/app/orders/:id')
    expect(
      run(page({ url: 'https://shop.example/app#/b', prev: { url: 'https://shop.example/app#/a' } }))
        .prev_path,
    ).toBe('/app/a')
  })
})

describe('self-referrals and payment hosts (the sources step)', () => {
  const input = { pageHost: 'shop.example', siteHosts: ['shop.example'], paymentHosts: DEFAULT_PAYMENT_HOSTS }
  it('never credit the shop itself, in any of its configured origins, or a payment host', () => {
    expect(visitReferrer({ ...input, referrerHost: 'shop.example' })).toBe('')
    expect(visitReferrer({ ...input, referrerHost: 'SHOP.example.' })).toBe('')
    expect(visitReferrer({ ...input, pageHost: 'm.shop.example', referrerHost: 'shop.example' })).toBe('')
    expect(visitReferrer({ ...input, referrerHost: 'checkout.stripe.com' })).toBe('')
    expect(visitReferrer({ ...input, referrerHost: 'www.paypal.com' })).toBe('')
    expect(visitReferrer({ ...input, referrerHost: 'google.com' })).toBe('google.com')
    expect(visitReferrer({ ...input, referrerHost: 'notstripe.com' })).toBe('notstripe.com')
    expect(visitReferrer({ ...input, referrerHost: '' })).toBe('')
  })

  it('take the demo shop’s own host as no referrer and no source, whatever the page’s URL says', () => {
    // The demo sends events for its own origin with its pages as referrers: before, `localhost` was
    // its top referrer.
    const row = run({
      type: 'pageview',
      site: 'demo',
      url: 'http://shop.example/p/1',
      referrer: 'http://localhost:8787/c/brakes',
    })
    expect(row).toMatchObject({ referrer_host: '', source: 'direct' })
    expect(run({ ...page({}), referrer: 'https://www.shop-cdn.example/' })).toMatchObject({
      referrer_host: '',
      source: 'direct',
    })
  })

  it('take a site’s own payment hosts from PAYMENT_HOSTS, in place of the defaults', () => {
    const row = (referrer: string) =>
      run({ type: 'pageview', site: 'demo', url: 'http://localhost:8787/', referrer })
    expect(row('https://pay.example/return')).toMatchObject({ referrer_host: '', source: 'direct' })
    expect(row('https://checkout.stripe.com/')).toMatchObject({ referrer_host: 'checkout.stripe.com' })
    expect(loadConfig({ PAYMENT_HOSTS: 'demo=pay.example|Checkout.Stripe.com' }).paymentHosts).toEqual(
      new Map([['demo', ['pay.example', 'checkout.stripe.com']]]),
    )
    expect(() => loadConfig({ PAYMENT_HOSTS: 'demo=https://pay.example/' })).toThrow(/PAYMENT_HOSTS/)
  })
})
