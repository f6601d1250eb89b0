/**
 * Constants that more than one room needs. They describe the data, not how a room handles it:
 * the traffic source classes the collector assigns and the read API filters on, and the window
 * the insights job computes over and the dashboard states.
 */

/** Device classes, from the user agent (collector/coarsen.ts assigns them). */
export const DEVICES = ['desktop', 'mobile', 'tablet', 'other'] as const
export type Device = (typeof DEVICES)[number]
/** A segment's device: a class, or `*` where the segment pools them. */
export type SegmentDevice = Device | '*'

/** Where a visit came from, as one coarse class (collector/sources.ts assigns it). */
export const SOURCES = ['search', 'social', 'email', 'paid', 'direct', 'other'] as const
export type Source = (typeof SOURCES)[number]
export type SegmentSource = Source | '*'

/**
 * The purchase funnel, in order. `shipping_info` and `payment_info` (GA4's checkout steps) sit
 * between checkout and purchase; `refund` comes last, its revenue negative (docs/ga4.md). A
 * public list: the read API shows the steps, the release step publishes every one of them.
 */
export const FUNNEL_STEPS = [
  'product_view',
  'add_to_cart',
  'checkout',
  'shipping_info',
  'payment_info',
  'purchase',
  'refund',
] as const
export type FunnelStep = (typeof FUNNEL_STEPS)[number]

/** Days of released figures the insights job reads, ending yesterday. */
export const DEFAULT_INSIGHTS_WINDOW_DAYS = 30

/** The window of "visitors now" (collector/visitors-now.ts, GET /api/stats/now), in minutes. */
export const VISITORS_NOW_MINUTES = 5

/**
 * The row of `released` that says a week or a month has been published for a measurement (its id
 * in `k1`; value 1, no noise): the publish job writes it with the period's cells, and the read
 * side tiles a range only with periods that have it, falling back to smaller grains for the others. Which periods have closed
 * is public; it tells nothing about a visitor.
 */
export const PUBLISHED_PERIOD = { measurement: 'periods', measure: 'published' } as const

/**
 * The recommendation snapshot tables the insights job writes, each a full set of rows per
 * `computed_at`: with DP off (`reco_*`, and the counts of what it held back) and with DP on from
 * released cells (`reco_*_released`, migration 0041). Their names are written into SQL only from
 * this list.
 */
export const RECO_TABLES = [
  'reco_affinity',
  'reco_offers',
  'reco_segments',
  'reco_held_back',
  'reco_affinity_released',
  'reco_offers_released',
  'reco_segments_released',
] as const
export type RecoTable = (typeof RECO_TABLES)[number]
