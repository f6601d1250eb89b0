/**
 * Pushes as Google's developer guides show them: GA4's recommended e-commerce events (the Tag
 * Manager `dataLayer.push({ event, ecommerce })` form, with the `{ ecommerce: null }` reset before
 * each, and the gtag form) and Universal Analytics' enhanced e-commerce shapes. Values are the
 * guides' own, so the tests read what real storefronts push.
 */

/** A GA4 item with every field the guide's example has. */
export const ga4Item = (item_id: string, item_name: string, price: number, quantity: number) => ({
  item_id,
  item_name,
  affiliation: 'Google Merchandise Store',
  coupon: 'SUMMER_FUN',
  discount: 2.22,
  index: 0,
  item_brand: 'Google',
  item_category: 'Apparel',
  item_category2: 'Adult',
  item_category3: 'Shirts',
  item_category4: 'Crew',
  item_category5: 'Short sleeve',
  item_list_id: 'related_products',
  item_list_name: 'Related Products',
  item_variant: 'green',
  location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
  price,
  quantity,
})

export const TEE = ga4Item('SKU_12345', 'Stan and Friends Tee', 10.01, 3)
export const GREY_TEE = ga4Item('SKU_12346', "Google Grey Women's Tee", 21.01, 2)
export const TRANSACTION_ID = 'T_12345'

/** GA4 e-commerce parameters per event, as in the guide (the `ecommerce` object, or gtag's params). */
export const GA4 = {
  view_item: { currency: 'USD', value: 30.03, items: [TEE] },
  add_to_cart: { currency: 'USD', value: 72.05, items: [TEE, GREY_TEE] },
  remove_from_cart: { currency: 'USD', value: 42.02, items: [GREY_TEE] },
  begin_checkout: { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', items: [TEE] },
  add_shipping_info: {
    currency: 'USD',
    value: 30.03,
    coupon: 'SUMMER_FUN',
    shipping_tier: 'Ground',
    items: [TEE],
  },
  add_payment_info: {
    currency: 'USD',
    value: 30.03,
    coupon: 'SUMMER_FUN',
    payment_type: 'Credit Card',
    items: [TEE],
  },
  purchase: {
    transaction_id: TRANSACTION_ID,
    // Item revenue: 3 x 10.01 + 2 x 21.01. Tax and shipping are apart from it.
    value: 72.05,
    tax: 3.6,
    shipping: 5.99,
    currency: 'USD',
    coupon: 'SUMMER_SALE',
    customer_type: 'new',
    items: [TEE, GREY_TEE],
  },
  refund: {
    currency: 'USD',
    transaction_id: TRANSACTION_ID,
    value: 30.03,
    coupon: 'SUMMER_FUN',
    shipping: 3.33,
    tax: 1.11,
    items: [TEE],
  },
  view_promotion: {
    creative_name: 'Summer Banner',
    creative_slot: 'featured_app_1',
    promotion_id: 'P_12345',
    promotion_name: 'Summer Sale',
    items: [TEE],
  },
  select_promotion: {
    creative_name: 'Summer Banner',
    creative_slot: 'featured_app_1',
    promotion_id: 'P_12345',
    promotion_name: 'Summer Sale',
    items: [TEE],
  },
} as const

export type Ga4Name = keyof typeof GA4

/** The Tag Manager form: a reset, then the event with its `ecommerce` object. */
export const dataLayerForm = (name: Ga4Name) => [{ ecommerce: null }, { event: name, ecommerce: GA4[name] }]

/** GA4's search event carries its term as a plain parameter, outside `ecommerce`. */
export const SEARCH_TERM = 't-shirts'

/** Universal Analytics enhanced e-commerce, as its developer guide for Tag Manager shows it. */
const TRIBLEND = {
  name: 'Triblend Android T-Shirt',
  id: '12345',
  price: '15.25',
  brand: 'Google',
  category: 'Apparel',
  variant: 'Gray',
}
const DONUT = {
  name: 'Donut Friday Scented T-Shirt',
  id: '67890',
  price: '33.75',
  brand: 'Google',
  category: 'Apparel/Mens/Shirts',
  variant: 'Black',
  quantity: 1,
}
export const UA_TRANSACTION_ID = 'T12345'
export const UA = {
  detail: { ecommerce: { detail: { actionField: { list: 'Apparel Gallery' }, products: [TRIBLEND] } } },
  add: {
    event: 'addToCart',
    ecommerce: { currencyCode: 'EUR', add: { products: [{ ...TRIBLEND, quantity: 1 }] } },
  },
  remove: { event: 'removeFromCart', ecommerce: { remove: { products: [{ ...TRIBLEND, quantity: 1 }] } } },
  checkout: {
    event: 'checkout',
    ecommerce: {
      checkout: { actionField: { step: 1, option: 'Visa' }, products: [{ ...TRIBLEND, quantity: 1 }] },
    },
  },
  checkoutStep2: {
    event: 'checkout',
    ecommerce: {
      checkout: { actionField: { step: 2, option: 'Visa' }, products: [{ ...TRIBLEND, quantity: 1 }] },
    },
  },
  purchase: {
    ecommerce: {
      currencyCode: 'EUR',
      purchase: {
        actionField: {
          id: UA_TRANSACTION_ID,
          affiliation: 'Online Store',
          revenue: '35.43',
          tax: '4.90',
          shipping: '5.99',
          coupon: 'SUMMER_SALE',
        },
        products: [{ ...TRIBLEND, quantity: 1, coupon: '' }, DONUT],
      },
    },
  },
  promoView: {
    ecommerce: {
      promoView: {
        promotions: [
          { id: 'JUNE_PROMO13', name: 'June Sale', creative: 'banner1', position: 'slot1' },
          { id: 'FREE_SHIP13', name: 'Free Shipping Promo', creative: 'skyscraper1', position: 'slot2' },
        ],
      },
    },
  },
  promoClick: {
    event: 'promotionClick',
    ecommerce: {
      promoClick: {
        promotions: [{ id: 'JUNE_PROMO13', name: 'June Sale', creative: 'banner1', position: 'slot1' }],
      },
    },
  },
} as const

/** Pushes that name identifiers or are not e-commerce at all: none of them may send anything. */
export const NOT_COMMERCE: unknown[] = [
  { 'gtm.start': 1_700_000_000_000, event: 'gtm.js' },
  { event: 'gtm.dom' },
  { event: 'page_view', client_id: '123.456', user_id: 'U-42', session_id: '1700000000', gclid: 'EAIaIQ' },
  { event: 'login', method: 'Google', user_id: 'U-42' },
  { ecommerce: null },
]

/** Malformed pushes real pages make: none may throw, and none may send. */
export const MALFORMED: unknown[] = [
  null,
  undefined,
  42,
  'purchase',
  [],
  { event: 'purchase' },
  { event: 'purchase', ecommerce: { items: 'not a list', value: 'NaN' } },
  { event: 'view_item', ecommerce: { items: [null, 7, { price: -1 }] } },
  { event: 'add_to_cart', ecommerce: { items: [{ item_name: '' }] } },
  { event: 'view_promotion', ecommerce: { creative_name: 'no id' } },
  { event: 'search', search_term: { nested: true } },
  { ecommerce: { purchase: 'yes' } },
  { ecommerce: { detail: { products: [{ price: '12' }] } } },
]
