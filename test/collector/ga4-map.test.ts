import { describe, expect, it } from 'vitest'
import { type Call, toCalls } from '../../collector/beacon/ga4-map.ts'
import { Event } from '../../schemas/events.ts'
import {
  dataLayerForm,
  GA4,
  GREY_TEE,
  MALFORMED,
  NOT_COMMERCE,
  SEARCH_TERM,
  TEE,
  TRANSACTION_ID,
  UA,
  UA_TRANSACTION_ID,
} from './ga4-pushes.ts'

// gtag() pushes its own `arguments` object, not an array.
const gtagArgs = (...args: unknown[]): unknown =>
  function (this: unknown) {
    // biome-ignore lint/complexity/noArguments: gtag pushes exactly this object
    return arguments
  }.apply(null, args as [])

const tee = { id: 'SKU_12345', category: 'Apparel', price: 10.01, quantity: 3 }
const greyTee = { id: 'SKU_12346', category: 'Apparel', price: 21.01, quantity: 2 }
const offer = { id: 'P_12345', variant: 'Summer Banner' }
const all = (messages: unknown[]) => messages.flatMap((message) => toCalls(message))

// What each GA4 event becomes: the table of docs/ga4.md.
const TABLE: [keyof typeof GA4, Call[]][] = [
  ['view_item', [{ type: 'product_view', fields: { product: tee } }]],
  [
    'add_to_cart',
    [
      { type: 'add_to_cart', fields: { product: tee } },
      { type: 'add_to_cart', fields: { product: greyTee } },
    ],
  ],
  ['remove_from_cart', [{ type: 'remove_from_cart', fields: { product: greyTee } }]],
  [
    'begin_checkout',
    [{ type: 'checkout', fields: { order: { revenue: 30.03, currency: 'USD', items: [tee] } } }],
  ],
  [
    'add_shipping_info',
    [{ type: 'shipping_info', fields: { order: { revenue: 30.03, currency: 'USD', items: [tee] } } }],
  ],
  [
    'add_payment_info',
    [{ type: 'payment_info', fields: { order: { revenue: 30.03, currency: 'USD', items: [tee] } } }],
  ],
  [
    'purchase',
    [
      {
        type: 'purchase',
        fields: { order: { revenue: 72.05, currency: 'USD', items: [tee, greyTee] } },
        order: `purchase:${TRANSACTION_ID}`,
      },
    ],
  ],
  [
    'refund',
    [
      {
        type: 'refund',
        fields: { order: { revenue: 30.03, currency: 'USD', items: [tee] } },
        order: `refund:${TRANSACTION_ID}`,
      },
    ],
  ],
  ['view_promotion', [{ type: 'offer_impression', fields: { offer } }]],
  ['select_promotion', [{ type: 'offer_click', fields: { offer } }]],
]

describe('GA4 and UA dataLayer messages as Tally events (docs/ga4.md)', () => {
  it.each(TABLE)('maps %s, in the dataLayer form and the gtag form alike', (name, expected) => {
    expect(all(dataLayerForm(name))).toEqual(expected)
    expect(toCalls(gtagArgs('event', name, GA4[name]))).toEqual(expected)
    for (const call of expected) {
      const parsed = Event.safeParse({
        type: call.type,
        site: 'shop',
        url: 'https://shop.example/',
        ...call.fields,
      })
      expect(parsed.error, JSON.stringify(call)).toBeUndefined()
      expect(parsed.data).toMatchObject(call.fields)
    }
  })

  it('maps search from its search_term, with no result count, in both forms', () => {
    const expected = [{ type: 'search', fields: { search: { query: SEARCH_TERM } } }]
    expect(toCalls({ event: 'search', search_term: SEARCH_TERM })).toEqual(expected)
    expect(toCalls(gtagArgs('event', 'search', { search_term: SEARCH_TERM }))).toEqual(expected)
  })

  it('keeps tax and shipping out of revenue, and never copies an identifier or the transaction id into what is sent', () => {
    const [purchase] = all(dataLayerForm('purchase'))
    const sent = JSON.stringify(purchase?.fields)
    for (const absent of [TRANSACTION_ID, 'SUMMER_SALE', 'tax', 'shipping', 'new', 'Google', 'green']) {
      expect(sent).not.toContain(absent)
    }
    expect(purchase?.fields.order).toMatchObject({ revenue: 72.05 })
  })

  it('maps the Universal Analytics enhanced e-commerce shapes to the same events', () => {
    const triblend = { id: '12345', category: 'Apparel', price: 15.25 }
    expect(toCalls(UA.detail)).toEqual([{ type: 'product_view', fields: { product: triblend } }])
    expect(toCalls(UA.add)).toEqual([
      { type: 'add_to_cart', fields: { product: { ...triblend, quantity: 1 } } },
    ])
    expect(toCalls(UA.remove)).toEqual([
      { type: 'remove_from_cart', fields: { product: { ...triblend, quantity: 1 } } },
    ])
    expect(toCalls(UA.checkout)).toMatchObject([{ type: 'checkout', fields: { order: { revenue: 15.25 } } }])
    // Later checkout steps are each site's own numbering: not counted as checkouts again.
    expect(toCalls(UA.checkoutStep2)).toEqual([])
    // UA's revenue includes tax and shipping: the items' revenue is counted instead.
    expect(toCalls(UA.purchase)).toEqual([
      {
        type: 'purchase',
        fields: {
          order: {
            revenue: 49,
            currency: 'EUR',
            items: [
              { ...triblend, quantity: 1 },
              { id: '67890', category: 'Apparel', price: 33.75, quantity: 1 },
            ],
          },
        },
        order: `purchase:${UA_TRANSACTION_ID}`,
      },
    ])
    expect(toCalls(UA.promoView)).toEqual([
      { type: 'offer_impression', fields: { offer: { id: 'JUNE_PROMO13', variant: 'banner1' } } },
      { type: 'offer_impression', fields: { offer: { id: 'FREE_SHIP13', variant: 'skyscraper1' } } },
    ])
    expect(toCalls(UA.promoClick)).toEqual([
      { type: 'offer_click', fields: { offer: { id: 'JUNE_PROMO13', variant: 'banner1' } } },
    ])
  })

  it('takes an offer from promotion_name and creative_slot when the id and creative name are missing', () => {
    const push = {
      event: 'view_promotion',
      ecommerce: { promotion_name: 'Summer Sale', creative_slot: 'slot_2' },
    }
    expect(toCalls(push)).toEqual([
      { type: 'offer_impression', fields: { offer: { id: 'Summer Sale', variant: 'slot_2' } } },
    ])
  })

  it('reads an item by item_name when it has no item_id, and a price given as a string', () => {
    const push = {
      event: 'view_item',
      ecommerce: { items: [{ item_name: 'Tee', price: '9.50', item_category: 'Apparel' }] },
    }
    expect(toCalls(push)).toEqual([
      { type: 'product_view', fields: { product: { id: 'Tee', category: 'Apparel', price: 9.5 } } },
    ])
  })

  it('sends nothing for resets, Tag Manager messages, config calls and pushes that carry identifiers', () => {
    expect(all(NOT_COMMERCE)).toEqual([])
    expect(toCalls(gtagArgs('config', 'G-XXXXXXX', { user_id: 'U-42' }))).toEqual([])
    expect(toCalls(gtagArgs('set', { user_id: 'U-42' }))).toEqual([])
    expect(toCalls(gtagArgs('event', 'login', { method: 'Google' }))).toEqual([])
  })

  it('ignores malformed pushes without throwing', () => {
    for (const message of MALFORMED) expect(() => toCalls(message), String(message)).not.toThrow()
    expect(all(MALFORMED)).toEqual([])
  })

  it('bounds what one push can send', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ ...TEE, item_id: `SKU_${i}` }))
    expect(toCalls({ event: 'add_to_cart', ecommerce: { items } })).toHaveLength(50)
    const long = { ...GREY_TEE, item_id: 'x'.repeat(1000), price: 5e12 }
    const [call] = toCalls({ event: 'view_item', ecommerce: { items: [long] } })
    expect(call?.fields.product).toEqual({ id: 'x'.repeat(128), category: 'Apparel', quantity: 2 })
  })
})
