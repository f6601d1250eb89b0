import type { EventType } from './events.ts'

/**
 * How much one visitor-day may weigh in the released figures (docs/privacy.md, "Bounded
 * contribution"). The collector enforces these bounds before anything is written (events past
 * them are dropped and counted); the publish job derives every measurement's sensitivity from the
 * same numbers, so the noise is calibrated to what the warehouse can actually hold.
 *
 * Per visitor-day and event type: at most this many events are kept. Wikimedia keeps 10
 * pageviews per device-day; a storefront visit is a few pages, so 10 cuts little real traffic.
 */
export const EVENTS_PER_VISITOR_DAY: Readonly<Record<EventType, number>> = {
  pageview: 10,
  product_view: 10,
  add_to_cart: 5,
  remove_from_cart: 5,
  checkout: 3,
  shipping_info: 3,
  payment_info: 3,
  purchase: 2,
  refund: 2,
  search: 5,
  offer_impression: 10,
  offer_click: 5,
  custom: 10,
  // Visits and engagement (docs/engagement.md): a report per page hidden, left or replaced.
  engagement: 20,
  outbound: 5,
  download: 5,
  not_found: 5,
}

/**
 * Visits a visitor-day may begin in the released figures. A pageview that would begin one more is
 * kept as a pageview but counts as no visit (no entry, no bounce, no new-or-returning), and a
 * second page past this many takes no bounce back (collector/contribution-bound.ts). Most
 * visitor-days of a shop begin one or two visits; the bound cuts the noise of every visit figure
 * (visits, bounces, entries) by 10/3 against the pageview bound they had before.
 */
export const VISITS_PER_VISITOR_DAY = 3

/**
 * Engaged seconds per visitor-day that count for time on page and visit duration. A report holds
 * at most 30 minutes (collector/visits.ts); the day's total is what the released sums' noise is
 * calibrated to. The collector clips the report that crosses it and drops later ones
 * (collector/contribution-bound.ts).
 */
export const ENGAGED_SECONDS_PER_VISITOR_DAY = 3_600

/**
 * Order value per visitor-day and order event type (checkout, shipping_info, payment_info,
 * purchase, refund), in the shop's own currency units: an order event that would take its type
 * past it is dropped. An order's value is the larger of its revenue and its items' prices times
 * quantities, so it bounds the revenue of the funnel's steps and of the products alike. It bounds
 * the sensitivity of every revenue figure.
 */
export const REVENUE_PER_VISITOR_DAY = 2_000

/** The event types that carry an order, each bounded by REVENUE_PER_VISITOR_DAY on its own. */
export const ORDER_TYPES = ['checkout', 'shipping_info', 'payment_info', 'purchase', 'refund'] as const

/**
 * Units purchased per visitor-day (the items' quantities of the day's purchases): a purchase that
 * would take a visitor-day past it is dropped. It bounds the products' `quantity`.
 */
export const UNITS_PER_VISITOR_DAY = 20

/**
 * Items of one order that count for their products. Orders longer than this are cut by the
 * collector, so a purchase weighs on at most this many product cells.
 */
export const ITEMS_PER_ORDER = 10

/** The most events of `types` one visitor-day can leave in the warehouse. */
export const eventsBound = (types: readonly EventType[]): number =>
  types.reduce((sum, type) => sum + EVENTS_PER_VISITOR_DAY[type], 0)

/**
 * Every visitor-day distinct visitor set a measurement can hold is bounded by the events of
 * its types: a visitor is in a cell only through one of their events.
 */
export const cellsBound = (types: readonly EventType[], domain = Number.POSITIVE_INFINITY): number =>
  Math.min(domain, eventsBound(types))
