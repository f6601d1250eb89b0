import { describe, expect, it } from 'vitest'
import { EVENT_TYPES, Event, EventBatch, LIMITS } from '../../schemas/events.ts'

const base = { site: 'demo', url: 'https://shop.example/p/brake-pads' }
const product = { id: 'bp-1', category: 'brakes', price: 39.9, quantity: 1 }
const order = {
  revenue: 79.8,
  currency: 'EUR',
  items: [{ id: 'bp-1', category: 'brakes', price: 39.9, quantity: 2 }],
}
const offer = { id: 'spring-sale', variant: 'b' }

const valid: Record<(typeof EVENT_TYPES)[number], object> = {
  pageview: {
    type: 'pageview',
    ...base,
    referrer: 'https://www.google.com/',
    visit_page: 1,
    returning: false,
  },
  product_view: {
    type: 'product_view',
    ...base,
    product,
    prev: { url: base.url, product: { id: 'bp-0', category: 'brakes' } },
  },
  add_to_cart: { type: 'add_to_cart', ...base, product, offer },
  remove_from_cart: { type: 'remove_from_cart', ...base, product },
  checkout: { type: 'checkout', ...base, order },
  shipping_info: { type: 'shipping_info', ...base, order },
  payment_info: { type: 'payment_info', ...base },
  purchase: { type: 'purchase', ...base, order, offer },
  refund: { type: 'refund', ...base, order },
  // GA4's search names no result count.
  search: { type: 'search', ...base, search: { query: 'brake pads' } },
  offer_impression: { type: 'offer_impression', ...base, offer },
  offer_click: { type: 'offer_click', ...base, offer },
  custom: {
    type: 'custom',
    ...base,
    name: 'newsletter_signup',
    props: { plan: 'pro', seats: 3, trial: true },
  },
  engagement: { type: 'engagement', ...base, ms: 4200, scroll: 75, scroll_from: 40 },
  outbound: { type: 'outbound', ...base, link: 'https://www.brembo.com/en/pads' },
  download: { type: 'download', ...base, link: 'https://shop.example/files/fitting-guide.pdf' },
  not_found: { type: 'not_found', ...base },
}

/** Returns the dotted path of the first issue, or undefined when the input is valid. */
const badField = (input: unknown, schema: typeof Event | typeof EventBatch = Event) => {
  const result = schema.safeParse(input)
  return result.success ? undefined : result.error.issues[0]?.path.join('.')
}

describe('event schemas', () => {
  it('cover every event type', () => {
    expect(Object.keys(valid).sort()).toEqual([...EVENT_TYPES].sort())
  })

  it.each(Object.entries(valid))('accept a valid %s', (_, event) => {
    expect(Event.safeParse(event).success).toBe(true)
  })

  it('strip unknown keys, so identifiers sent along are never kept', () => {
    const parsed = Event.parse({
      ...valid.purchase,
      email: 'jane@example.com',
      userId: 'u-123',
      timestamp: 1700000000,
      order: { ...order, customer: { name: 'Jane' } },
    })
    expect(JSON.stringify(parsed)).not.toMatch(/jane|u-123|1700000000|customer/i)
  })

  it("take the tab's landing campaign as utm on any event, keeping only its three tags", () => {
    const utm = { source: 'news', medium: 'email', campaign: 'spring-sale' }
    for (const event of Object.values(valid)) {
      const parsed = Event.parse({ ...event, utm: { ...utm, term: 'jane@example.com', id: 'u-1' } })
      expect(parsed.utm).toEqual(utm)
    }
    expect(Event.parse({ ...valid.pageview, utm: { medium: 'email' } }).utm).toEqual({ medium: 'email' })
    expect(Event.parse(valid.pageview)).not.toHaveProperty('utm')
  })

  it.each([
    ['an unknown type', { ...base, type: 'login' }, 'type'],
    ['a missing site', { type: 'pageview', url: base.url }, 'site'],
    ['a site with spaces', { ...valid.pageview, site: 'my shop' }, 'site'],
    ['a relative url', { ...valid.pageview, url: '/p/1' }, 'url'],
    ['a javascript: url', { ...valid.pageview, url: 'javascript:alert(1)' }, 'url'],
    ['an overlong url', { ...valid.pageview, url: `https://x.example/${'a'.repeat(LIMITS.url)}` }, 'url'],
    ['a product without id', { ...valid.product_view, product: { category: 'brakes' } }, 'product.id'],
    ['a negative price', { ...valid.add_to_cart, product: { ...product, price: -1 } }, 'product.price'],
    [
      'a fractional quantity',
      { ...valid.add_to_cart, product: { ...product, quantity: 1.5 } },
      'product.quantity',
    ],
    ['a purchase without order', { ...base, type: 'purchase' }, 'order'],
    ['a lower-case currency', { ...valid.purchase, order: { ...order, currency: 'eur' } }, 'order.currency'],
    [
      'an infinite revenue',
      { ...valid.purchase, order: { ...order, revenue: Number.POSITIVE_INFINITY } },
      'order.revenue',
    ],
    [
      'too many order items',
      { ...valid.purchase, order: { ...order, items: Array(LIMITS.orderItems + 1).fill(order.items[0]) } },
      'order.items',
    ],
    [
      'a search with a negative result count',
      { ...base, type: 'search', search: { query: 'x', results: -1 } },
      'search.results',
    ],
    ['an offer without variant', { ...base, type: 'offer_click', offer: { id: 'x' } }, 'offer.variant'],
    ['a custom event without name', { ...base, type: 'custom' }, 'name'],
    ['a nested prop value', { ...valid.custom, props: { a: { b: 1 } } }, 'props.a'],
    [
      'more than 20 props',
      { ...valid.custom, props: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, i])) },
      'props',
    ],
    ['a prev with a bad url', { ...valid.pageview, prev: { url: 'nope' } }, 'prev.url'],
    [
      'an overlong utm tag',
      { ...valid.pageview, utm: { source: 'a'.repeat(LIMITS.label + 1) } },
      'utm.source',
    ],
    ['a utm tag that is no string', { ...valid.pageview, utm: { medium: 1 } }, 'utm.medium'],
    ['utm as a string', { ...valid.pageview, utm: 'utm_source=news' }, 'utm'],
  ])('reject %s, naming the field', (_, event, field) => {
    expect(badField(event)).toBe(field)
  })

  it('take batches of 1 to 50 events and name the bad one', () => {
    expect(EventBatch.safeParse({ events: [valid.pageview, valid.search] }).success).toBe(true)
    expect(badField({ events: [] }, EventBatch)).toBe('events')
    expect(badField({ events: Array(LIMITS.batch + 1).fill(valid.pageview) }, EventBatch)).toBe('events')
    expect(
      badField(
        { events: [valid.pageview, { ...valid.search, search: { query: 1, results: 0 } }] },
        EventBatch,
      ),
    ).toBe('events.1.search.query')
  })
})
