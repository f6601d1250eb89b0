/**
 * What one `dataLayer` message means to Tally: the GA4 recommended e-commerce events (dataLayer
 * `{ event, ecommerce }` pushes and gtag's `arguments` pushes) and Universal Analytics' enhanced
 * e-commerce shapes, mapped to Tally's own events (docs/ga4.md has the table). Pure: no page, no
 * storage; the bridge (ga4.ts) does the rest.
 *
 * Only named fields are copied into what is sent, so nothing else of a message (`client_id`,
 * `user_id`, `gclid`, `session_id`, the transaction id, a coupon) can leave the page. The
 * transaction id is returned apart, as `order`, for the bridge to count an order once per tab.
 *
 * Written for size, like the beacon: no object spread, which es2017 would down-level into helpers.
 */

type Fields = Record<string, unknown>
// biome-ignore lint/suspicious/noExplicitAny: messages are whatever the page pushed; each read is checked
type Loose = any

/** One Tally event to send; `order` is the transaction id, for de-duplication only, never sent. */
export type Call = { type: string; fields: Fields; order?: string }

const MAX_ITEMS = 50
// ISO 4217's code for "no currency": the schema needs one, and a push may not name it.
const NO_CURRENCY = 'XXX'

const object = (value: unknown): Loose => (value && typeof value === 'object' ? value : 0)
const text = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value).trim().slice(0, 128) : ''
// UA sends prices as strings ("15.25"); GA4 as numbers. Anything else, or out of range, is absent.
const amount = (value: unknown): number | undefined => {
  const number = typeof value === 'string' ? Number.parseFloat(value) : value
  if (typeof number === 'number' && number >= 0 && number <= 1e9) return Math.round(number * 100) / 100
}
const count = (value: unknown) => {
  const number = amount(value)
  return number && number >= 1 ? Math.min(Math.round(number), 10000) : 1
}
const list = (value: unknown): Loose[] =>
  Array.isArray(value) ? value.slice(0, MAX_ITEMS).filter(object) : []

/**
 * A product as the schemas have it. GA4 items name themselves by `item_id` or `item_name` and
 * `item_category`; UA products by `id` or `name` and a `category` path ("Apparel/Men/Shirts")
 * whose first level is GA4's `item_category`.
 */
const product = (item: Loose, ua: boolean): Fields | undefined => {
  const id = text(ua ? item.id || item.name : item.item_id || item.item_name)
  if (!id) return
  const category = ua ? text(item.category).split('/')[0] || '' : text(item.item_category)
  const fields: Fields = { id, category: category.trim() }
  const price = amount(item.price)
  if (price !== undefined) fields.price = price
  if (item.quantity !== undefined) fields.quantity = count(item.quantity)
  return fields
}

const products = (items: Loose[], ua: boolean) => {
  const found: Fields[] = []
  for (const item of items) {
    const fields = product(item, ua)
    if (fields) found.push(fields)
  }
  return found
}

/**
 * An order: item revenue (GA4's `value`, which excludes tax and shipping; else the items' sum),
 * currency and items. UA's `revenue` includes tax and shipping, so there the items' sum is used,
 * or the revenue less tax and shipping when no item is named.
 */
const order = (params: Loose, items: Fields[], ua: boolean, currency: unknown): Fields | undefined => {
  let revenue = 0
  for (const item of items) revenue += ((item.price as number) || 0) * ((item.quantity as number) || 1)
  const value = amount(ua ? params.revenue : params.value)
  if (ua && !items.length && value !== undefined) {
    revenue = Math.max(0, value - (amount(params.tax) || 0) - (amount(params.shipping) || 0))
  } else if (!ua && value !== undefined) revenue = value
  else if (!items.length) return
  const code = text(currency).toUpperCase()
  return {
    revenue: Math.round(revenue * 100) / 100,
    currency: /^[A-Z]{3}$/.test(code) ? code : NO_CURRENCY,
    items: items.map((item) => ({
      id: item.id,
      category: item.category,
      price: item.price || 0,
      quantity: item.quantity || 1,
    })),
  }
}

/** Offer from `promotion_id` or `promotion_name`, variant from `creative_name` or `creative_slot`. */
const offer = (promotion: Loose, ua: boolean): Fields | undefined => {
  const id = text(ua ? promotion.id || promotion.name : promotion.promotion_id || promotion.promotion_name)
  const variant = text(
    ua ? promotion.creative || promotion.position : promotion.creative_name || promotion.creative_slot,
  )
  if (id) return { id, variant: variant || 'default' }
}

const GA4: Record<string, string> = {
  view_item: 'product_view',
  add_to_cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  begin_checkout: 'checkout',
  add_shipping_info: 'shipping_info',
  add_payment_info: 'payment_info',
  purchase: 'purchase',
  refund: 'refund',
  view_promotion: 'offer_impression',
  select_promotion: 'offer_click',
  search: 'search',
}

// UA's actions, in the order a push is read: one push may carry an impression and an action.
const UA: Record<string, string> = {
  detail: 'product_view',
  add: 'add_to_cart',
  remove: 'remove_from_cart',
  checkout: 'checkout',
  purchase: 'purchase',
  refund: 'refund',
  promoView: 'offer_impression',
  promoClick: 'offer_click',
}

/** The Tally events for one GA4 event `name` with its parameters (`ecommerce`, or gtag's third argument). */
function fromGa4(name: string, params: Loose, message: Loose): Call[] {
  const type = GA4[name]
  if (!type) return []
  if (type === 'search') {
    const query = text(params.search_term || message.search_term)
    return query ? [{ type, fields: { search: { query } } }] : []
  }
  const items = products(list(params.items), false)
  return build(type, params, items, false, params.currency, params.transaction_id, () => {
    const first = list(params.items)[0] || {}
    return offer(params.promotion_id || params.promotion_name ? params : first, false)
  })
}

/** The Tally events for a UA enhanced e-commerce object. */
function fromUa(ecommerce: Loose): Call[] {
  const calls: Call[] = []
  for (const action in UA) {
    const part = object(ecommerce[action])
    if (!part) continue
    const type = UA[action] as string
    const field = object(part.actionField) || {}
    // A checkout's later steps (shipping, payment) are the site's own numbering: only step 1 is the checkout.
    if (type === 'checkout' && field.step !== undefined && Number(field.step) !== 1) continue
    const items = products(list(part.products), true)
    const promotions = list(part.promotions)
    if (type === 'offer_impression' || type === 'offer_click') {
      for (const promotion of promotions) {
        const found = offer(promotion, true)
        if (found) calls.push({ type, fields: { offer: found } })
      }
      continue
    }
    const made = build(type, field, items, true, ecommerce.currencyCode, field.id)
    for (const call of made) calls.push(call)
  }
  return calls
}

function build(
  type: string,
  params: Loose,
  items: Fields[],
  ua: boolean,
  currency: unknown,
  transaction: unknown,
  promotion?: () => Fields | undefined,
): Call[] {
  if (type === 'product_view') return items.length ? [{ type, fields: { product: items[0] } }] : []
  if (type === 'add_to_cart' || type === 'remove_from_cart') {
    return items.map((item) => ({ type, fields: { product: item } }))
  }
  if (type === 'offer_impression' || type === 'offer_click') {
    const found = promotion?.()
    return found ? [{ type, fields: { offer: found } }] : []
  }
  const described = order(params, items, ua, currency)
  if (type === 'purchase' || type === 'refund') {
    if (!described) return []
    const call: Call = { type, fields: { order: described } }
    const id = text(transaction)
    if (id) call.order = `${type}:${id}`
    return [call]
  }
  // checkout, shipping_info, payment_info: the order when the push names one.
  return [{ type, fields: described ? { order: described } : {} }]
}

/**
 * The Tally events one `dataLayer` message stands for; none for anything else (resets such as
 * `{ ecommerce: null }`, GTM's own messages, config and consent calls, malformed pushes).
 */
export function toCalls(message: unknown): Call[] {
  const pushed = object(message)
  if (!pushed) return []
  // gtag() pushes its `arguments`: ('event', name, params).
  if (typeof pushed.length === 'number' && !Array.isArray(pushed.items)) {
    if (pushed[0] !== 'event' || typeof pushed[1] !== 'string') return []
    return fromGa4(pushed[1], object(pushed[2]) || {}, {})
  }
  const ecommerce = object(pushed.ecommerce)
  if (ecommerce) {
    for (const action in UA) if (object(ecommerce[action])) return fromUa(ecommerce)
  }
  if (typeof pushed.event !== 'string') return []
  return fromGa4(pushed.event, ecommerce || {}, pushed)
}
