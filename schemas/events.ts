import { z } from 'zod'

/**
 * The events a storefront may send. One schema per event type, discriminated on `type`.
 *
 * Every string has a maximum length, every number and array a bound, and unknown keys are
 * stripped (zod's default for `z.object`): a user id or an email sent in a field we do not
 * know about is dropped here and can never reach the warehouse. The client's clock is not
 * part of any schema; the collector stamps events itself.
 */

export const LIMITS = {
  url: 2048,
  id: 128,
  label: 128,
  query: 256,
  currency: 3,
  propValue: 256,
  props: 20,
  orderItems: 100,
  batch: 50,
} as const

const text = (max: number) => z.string().max(max)
const label = text(LIMITS.label)
const money = z.number().finite().min(0).max(1_000_000_000)
const quantity = z.number().int().min(1).max(10_000)

/** A site id as configured in `SITES`: short, url-safe. */
export const SiteId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'site ids are letters, digits, _ and -')

/** An absolute http(s) URL. The collector scrubs it before anything else reads it. */
export const PageUrl = text(LIMITS.url).refine((value) => /^https?:\/\/[^\s]+$/i.test(value), {
  message: 'must be an absolute http(s) URL',
})

export const ProductRef = z.object({
  id: text(LIMITS.id).min(1),
  category: label,
})

export const Product = ProductRef.extend({
  price: money.optional(),
  quantity: quantity.optional(),
})

export const OrderItem = ProductRef.extend({ price: money, quantity })

export const Order = z.object({
  revenue: money,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR')
    .max(LIMITS.currency),
  items: z.array(OrderItem).max(LIMITS.orderItems),
})

export const Offer = z.object({
  id: text(LIMITS.id).min(1),
  variant: text(LIMITS.id).min(1),
})

/** The page before this one, kept in the tab's memory by the beacon: context, not identity. */
export const Prev = z.object({
  url: PageUrl.optional(),
  product: ProductRef.optional(),
})

/**
 * The campaign the tab landed with: the landing URL's `utm_*` tags, which the beacon remembers
 * for the tab and sends with every event, so that later pages keep the visit's campaign.
 */
export const Utm = z.object({
  source: label.optional(),
  medium: label.optional(),
  campaign: label.optional(),
})

const base = {
  site: SiteId,
  url: PageUrl,
  /** The tab's entry referrer: the other site the visit came from, on every event of the tab. */
  referrer: text(LIMITS.url).optional(),
  utm: Utm.optional(),
  prev: Prev.optional(),
  /** The offer this tab last clicked, so a cart or purchase can be credited to it. */
  offer: Offer.optional(),
}

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...base, ...shape })

/**
 * A pageview's place in its visit. A visit is the beacon's tab context from its first event until
 * 30 minutes without one; the beacon counts its pages and sends only the count, never an id of the
 * visit (docs/engagement.md). `returning` comes with a visit's first page: whether this browser
 * first came to the site on an earlier day.
 */
export const PageviewEvent = event('pageview', {
  visit_page: z.number().int().min(1).max(1_000_000).optional(),
  returning: z.boolean().optional(),
})
/**
 * Engagement with the page in `url` since the last report: `ms` of time while it was visible and
 * focused, and the deepest scroll reached (`scroll`, percent of the page's height) after the
 * deepest reported before (`scroll_from`). Bounds are loose so that no real browser's event is
 * refused (a page shorter than the window reads far over 100 %); the collector clamps them (30
 * minutes, 100 %). `entry` is scrubbed by the collector as any page URL is.
 */
export const EngagementEvent = event('engagement', {
  ms: z.number().int().min(0).max(86_400_000),
  scroll: z.number().int().min(0).max(1_000_000_000),
  scroll_from: z.number().int().min(0).max(1_000_000_000),
  /** The URL the report's visit began on (its landing), so time adds up per entry page. */
  entry: PageUrl.optional(),
})
/** A click on a link to another site: only its host is kept. */
export const OutboundEvent = event('outbound', { link: PageUrl })
/** A click on a link to a file (by extension): its scrubbed path is kept. */
export const DownloadEvent = event('download', { link: PageUrl })
/** The page in `url` answered "not found". */
export const NotFoundEvent = event('not_found', {})
export const ProductViewEvent = event('product_view', { product: Product })
export const AddToCartEvent = event('add_to_cart', { product: Product })
export const RemoveFromCartEvent = event('remove_from_cart', { product: Product })
export const CheckoutEvent = event('checkout', { order: Order.optional() })
/** The checkout's later steps, between `checkout` and `purchase` (GA4's add_shipping_info, add_payment_info). */
export const ShippingInfoEvent = event('shipping_info', { order: Order.optional() })
export const PaymentInfoEvent = event('payment_info', { order: Order.optional() })
export const PurchaseEvent = event('purchase', { order: Order })
/** An order, or part of one, given back: its revenue is subtracted (docs/ga4.md). */
export const RefundEvent = event('refund', { order: Order })
export const SearchEvent = event('search', {
  search: z.object({
    query: text(LIMITS.query),
    /** Absent when the storefront does not know it (GA4's `search` has no count): then it is no zero-result search. */
    results: z.number().int().min(0).max(1_000_000).optional(),
  }),
})
export const OfferImpressionEvent = event('offer_impression', { offer: Offer })
export const OfferClickEvent = event('offer_click', { offer: Offer })

export const PropValue = z.union([text(LIMITS.propValue), z.number().finite(), z.boolean()])
export const CustomEvent = event('custom', {
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : -'),
  props: z
    .record(z.string().min(1).max(64), PropValue)
    .refine((props) => Object.keys(props).length <= LIMITS.props, {
      message: `at most ${LIMITS.props} properties`,
    })
    .optional(),
})

export const Event = z.discriminatedUnion('type', [
  PageviewEvent,
  ProductViewEvent,
  AddToCartEvent,
  RemoveFromCartEvent,
  CheckoutEvent,
  ShippingInfoEvent,
  PaymentInfoEvent,
  PurchaseEvent,
  RefundEvent,
  SearchEvent,
  OfferImpressionEvent,
  OfferClickEvent,
  CustomEvent,
  EngagementEvent,
  OutboundEvent,
  DownloadEvent,
  NotFoundEvent,
])

export const EventBatch = z.object({
  events: z.array(Event).min(1).max(LIMITS.batch),
})

export type Event = z.infer<typeof Event>
export type EventBatch = z.infer<typeof EventBatch>
export type EventType = Event['type']
export type ProductRef = z.infer<typeof ProductRef>
export type OrderItem = z.infer<typeof OrderItem>

export const EVENT_TYPES = Event.options.map((option) => option.shape.type.value) as EventType[]
