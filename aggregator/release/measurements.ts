import { FUNNEL_STEPS } from '../../schemas/constants.ts'
import {
  cellsBound,
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  eventsBound,
  ITEMS_PER_ORDER,
  REVENUE_PER_VISITOR_DAY,
  UNITS_PER_VISITOR_DAY,
} from '../../schemas/contribution.ts'
import { EVENT_TYPES, type EventType, LIMITS } from '../../schemas/events.ts'

/**
 * The released measurements: every figure that leaves Tally is a cell of one of these, published
 * once per closed period by the publish job (aggregator/jobs/publish.ts) and read back by the
 * read API from the `released` table. A feature adds a figure by adding an entry (or a measure to
 * one); the budget is split over all of them by zCDP composition (./budget.ts), so adding an
 * entry makes the others' noise larger, and docs/privacy.md lists what each costs.
 *
 * An entry reads one rollup, groups it by up to three key columns (`k1..k3` in `released`) and,
 * for each grouping set, by nothing more or by one filter column as well. Each measure has its
 * L2 sensitivity for one visitor-day over the whole grouping set (all cells, all hours of the
 * day), from the contribution bounds of schemas/contribution.ts, and a budget weight.
 *
 * Names below are written into SQL: table, columns and expressions are constants of this file,
 * never input (test/aggregator/release-measurements.test.ts checks them against an allow-list).
 */

/** The periods released figures are published for (`grain` in `released` and the ledger). */
export type Grain = 'day' | 'hour' | 'week' | 'month'
/** The grain a rollup is read at: a day of a daily rollup, an hour of an hourly one. */
export type SourceGrain = 'day' | 'hour'
/** Grains published from the exact per-day cells kept in `exact_cells` (ISO weeks, months). */
export type CoarseGrain = 'week' | 'month'
export const COARSE_GRAINS: readonly CoarseGrain[] = ['week', 'month']
export type GroupingName = '' | 'source' | 'device' | 'country' | 'category'

export type Measure = {
  /** `measure` in `released`: what the read API asks for. */
  readonly name: string
  /** `visitors`: a distinct count, the one that decides whether a cell is released. */
  readonly kind: 'visitors' | 'count' | 'sum'
  /** An aggregate over the rollup's stored rows, e.g. `sumMerge(pageviews)`. */
  readonly sql: string
  /** L2 sensitivity of the measure's vector of cells, for one visitor-day. */
  readonly l2: number
  /** Share of the budget, relative to the other measures' weights (per grouping set). */
  readonly weight: number
  /**
   * A rollup other than the measurement's own that holds this measure, with the same key and
   * filter columns: its cells are joined to the measurement's (./exact-sql.ts), so the
   * measurement's visitors decide which of them are released. Absent: the measurement's table.
   */
  readonly table?: string
}

export type Measurement = {
  readonly id: string
  readonly table: string
  /** Rollup columns that make the cell key, in order (`k1`, `k2`, `k3`); may be empty. */
  readonly keys: readonly string[]
  /** A fixed condition on the rollup's rows ('' for none). */
  readonly where: string
  /** Grouping sets and their weights: '' is the measurement without filters. */
  readonly groupings: Partial<Record<GroupingName, number>>
  readonly grain: SourceGrain
  /**
   * For a daily list: the grains it is published at, each a budget multiplier on the entry's
   * weights (docs/privacy.md, "Time grains"). Each grain is its own mechanism over the
   * visitor-day, so each costs its share of ρ. Absent: published at its source grain only.
   */
  readonly grains?: Partial<Record<'day' | CoarseGrain, number>>
  readonly measures: readonly Measure[]
  /**
   * A public domain for `k1` (event types, say): every value is released, zero or not, with no
   * threshold, since which cells exist then tells nothing. Only for the grouping set ''.
   */
  readonly domain?: readonly string[]
}

/** Visitors of a daily rollup, a true distinct count while the day's sketches exist. */
const VISITORS = 'uniqCombinedMerge(visitors)'
const PAGEVIEW: EventType[] = ['pageview']
const FILTERS = { '': 4, source: 1, device: 1, country: 1 } as const
const LISTS = { '': 3, source: 0.25, device: 0.25, country: 0.25 } as const
/**
 * The grains a list is published at, as multipliers of its weights. A list's daily cells pass
 * their threshold only for groups of many hundreds of visitors a day, so most of a list's share
 * goes to its weeks, which answer the ranges people ask for (the last 7, 28 or 30 days), and to
 * its months; the day keeps a little, for the largest groups of a short range.
 */
export const LIST_GRAINS = { day: 0.1, week: 2, month: 0.5 } as const

const visitors = (types: readonly EventType[], weight: number, domain?: number): Measure => ({
  name: 'visitors',
  kind: 'visitors',
  sql: VISITORS,
  l2: Math.sqrt(cellsBound(types, domain)),
  weight,
})

const pageviews = (sql: string, weight: number): Measure => ({
  name: 'pageviews',
  kind: 'count',
  sql,
  l2: eventsBound(PAGEVIEW),
  weight,
})

// Events per type: each type's cell moves by at most that type's bound.
const perTypeL2 = Math.sqrt(EVENT_TYPES.reduce((sum, type) => sum + EVENTS_PER_VISITOR_DAY[type] ** 2, 0))

/** One pageview rollup grouped by one of its dimensions: a list view of the dashboard. */
const pageviewList = (
  id: string,
  table: string,
  key: string,
  groupings: Measurement['groupings'] = LISTS,
): Measurement => ({
  id,
  table,
  keys: [key],
  where: '',
  groupings,
  grain: 'day',
  grains: LIST_GRAINS,
  measures: [pageviews('sumMerge(pageviews)', 0.5), visitors(PAGEVIEW, 1)],
})

// --- Visits and engagement (docs/engagement.md) ------------------------------------------------
// A visit begins with a pageview, so a visitor-day begins at most as many visits as it keeps
// pageviews; the +1/-1 bounce column sums, per visitor-day, to between minus and plus that many;
// exits are +1 on a page and -1 on the page before it, at most twice the pageviews in all cells.
const PAGES = eventsBound(PAGEVIEW)
const count = (name: string, sql: string, l2: number, weight: number): Measure => ({
  name,
  kind: 'count',
  sql,
  l2,
  weight,
})
const engagedSeconds = (weight: number, table?: string): Measure => ({
  name: 'engaged_seconds',
  kind: 'sum',
  sql: 'intDiv(sumMerge(engaged_ms), 1000)',
  l2: ENGAGED_SECONDS_PER_VISITOR_DAY,
  weight,
  ...(table ? { table } : {}),
})
const LINKS: EventType[] = ['outbound', 'download', 'not_found']
// The property cells one visitor-day can reach: its custom events times their properties.
const PROP_CELLS = EVENTS_PER_VISITOR_DAY.custom * LIMITS.props
// Their events: LIMITS.props cells at most EVENTS_PER_VISITOR_DAY.custom each is the largest L2.
const PROP_EVENTS_L2 = Math.sqrt(LIMITS.props) * EVENTS_PER_VISITOR_DAY.custom

// Their weights are kept small (about a tenth of the list's total) so that these figures cost the
// others little noise; lists are released without filters (docs/engagement.md).
const ONLY_ALL = { '': 0.5 } as const
const ENGAGEMENT_MEASUREMENTS: readonly Measurement[] = [
  {
    // The overview's visits, views per visit, bounce rate and visit duration.
    id: 'visits',
    table: 'visits_daily',
    keys: [],
    where: '',
    groupings: { '': 1, source: 0.25, device: 0.25, country: 0.25 },
    grain: 'day',
    measures: [
      visitors(PAGEVIEW, 0.5, 1),
      count('visits', 'sumMerge(visits)', PAGES, 1),
      count('bounces', 'sumMerge(bounces)', PAGES, 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.5),
      engagedSeconds(0.5),
    ],
  },
  {
    // The time series' visits per closed hour; no visitors, as traffic_hourly.
    id: 'visits_hourly',
    table: 'visits_hourly',
    keys: [],
    where: '',
    groupings: ONLY_ALL,
    grain: 'hour',
    // The one cell of an hour is released whatever it holds, as traffic_hourly's are.
    domain: [''],
    measures: [count('visits', 'sumMerge(visits)', PAGES, 1)],
  },
  {
    // Entry pages (visits, bounces, and the engaged time of the visits begun there, per entry page
    // in entry_engaged_daily: a visitor-day's reports, each on one entry page, hold at most 3,600 s
    // in all) and exit pages (exits over pageviews).
    id: 'entry_exit',
    table: 'entry_exit_daily',
    keys: ['path'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [
      visitors(PAGEVIEW, 0.5),
      count('entries', 'sumMerge(entries)', PAGES, 0.5),
      count('bounces', 'sumMerge(bounces)', PAGES, 0.25),
      count('exits', 'sumMerge(exits)', 2 * PAGES, 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.25),
      engagedSeconds(0.25, 'entry_engaged_daily'),
    ],
  },
  {
    // Time on page and scroll depth per page: a view's deepest scroll is at most 100.
    id: 'engagement',
    table: 'engagement_daily',
    keys: ['path'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [
      visitors(['pageview', 'engagement'], 0.5),
      count('pageviews', 'sumMerge(pageviews)', PAGES, 0.25),
      engagedSeconds(0.5),
      { name: 'scroll_sum', kind: 'sum', sql: 'sumMerge(scroll_sum)', l2: 100 * PAGES, weight: 0.25 },
      count('reached_50', 'sumMerge(reached_50)', PAGES, 0.125),
      count('reached_100', 'sumMerge(reached_100)', PAGES, 0.125),
    ],
  },
  {
    // Outbound hosts, download paths and paths not found: kind and target.
    id: 'links',
    table: 'links_daily',
    keys: ['kind', 'target'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [count('events', 'sumMerge(events)', eventsBound(LINKS), 0.5), visitors(LINKS, 0.5)],
  },
  {
    // New and returning visits: two public values, every one released.
    id: 'visitor_kinds',
    table: 'visitor_kinds_daily',
    keys: ['kind'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    domain: ['new', 'returning'],
    measures: [count('visits', 'sumMerge(visits)', PAGES, 0.5), visitors(PAGEVIEW, 0.5, 2)],
  },
  {
    // Goals: custom events by name.
    id: 'custom',
    table: 'custom_daily',
    keys: ['name'],
    where: '',
    groupings: ONLY_ALL,
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [count('events', 'sumMerge(events)', eventsBound(['custom']), 0.5), visitors(['custom'], 0.5)],
  },
  {
    // Goals' properties: event name, property and scrubbed value. An event holds each of its (at
    // most LIMITS.props) keys once, so a visitor-day reaches at most 10 × 20 = 200 cells, each at
    // most once per event: visitors √200; events at most 10 in each of at most 20 cells' worth of
    // mass (200 in all), so L2 ≤ √(20 · 10²) ≈ 44.7. A small weight: lists of values are a detail.
    id: 'custom_props',
    table: 'custom_props_daily',
    keys: ['name', 'prop_key', 'prop_value'],
    where: '',
    groupings: { '': 0.25 },
    grain: 'day',
    grains: LIST_GRAINS,
    measures: [
      count('events', 'sumMerge(events)', PROP_EVENTS_L2, 0.5),
      { name: 'visitors', kind: 'visitors', sql: VISITORS, l2: Math.sqrt(PROP_CELLS), weight: 0.5 },
    ],
  },
]

// --- Commerce: products, funnel, search terms, transitions, offers -------------------------------
// Released without filters only: per filter value a day's cells would need thousands of visitors to
// pass their threshold, so a filtered grouping set would spend budget on cells never released; the
// read API refuses filters on these views when it answers from them. Their weights add up to 4 of
// the list's ~103: together they make every other figure's noise about 2 % larger. Sensitivities
// are for one visitor-day, from schemas/contribution.ts, enforced by collector/contribution-bound.ts
// (docs/privacy.md, "Measurements and sensitivities").
const measure = (name: string, kind: Measure['kind'], sql: string, l2: number, weight: number): Measure => ({
  name,
  kind,
  sql,
  l2,
  weight,
})

/** Visitors of a grouping set in which one visitor-day reaches at most `cells` cells, each by 1. */
const visitorsIn = (cells: number, weight: number): Measure =>
  measure('visitors', 'visitors', VISITORS, Math.sqrt(cells), weight)

// --- Products --------------------------------------------------------------------------------
// A (product, category) cell gets a row from each product_view, add_to_cart and remove_from_cart
// and from each item of a checkout, purchase or refund (at most ITEMS_PER_ORDER items an order).
// Counts: views ≤ 10, carts ≤ 5, removals ≤ 5 in all cells together; checkouts count each item,
// ≤ 3 orders × 10 items = 30, purchases ≤ 2 × 10 = 20; quantity (purchased units) ≤ 20; revenue is
// purchased items' value (≤ 2,000) minus refunded items' value (≤ 2,000): L1 ≤ 4,000. A vector
// that moves by at most B in L1 moves by at most B in L2. Visitors: a visitor-day is in at most
// 10 + 5 + 5 + 3·10 + 2·10 + 2·10 = 90 cells.
const orderItems = (type: EventType) => EVENTS_PER_VISITOR_DAY[type] * ITEMS_PER_ORDER
const PRODUCT_CELLS =
  eventsBound(['product_view', 'add_to_cart', 'remove_from_cart']) +
  orderItems('checkout') +
  orderItems('purchase') +
  orderItems('refund')

// --- Funnel ----------------------------------------------------------------------------------
// The steps are event types, a public list: every step is released each day, zero or not, with no
// threshold. Visitors: one cell per step, √7. Events: each step by at most its type's bound,
// √(10² + 5² + 3² + 3² + 3² + 2² + 2²) = √160. Revenue: the order steps (checkout, shipping_info,
// payment_info, purchase, refund) each move by at most REVENUE_PER_VISITOR_DAY: 2,000·√5.
const FUNNEL_TYPES: readonly EventType[] = FUNNEL_STEPS
const ORDER_STEPS = FUNNEL_TYPES.filter((type) => !['product_view', 'add_to_cart'].includes(type))
const funnelEventsL2 = Math.sqrt(
  FUNNEL_TYPES.reduce((sum, type) => sum + EVENTS_PER_VISITOR_DAY[type] ** 2, 0),
)

// --- Offers ----------------------------------------------------------------------------------
// Any event may carry the tab's last clicked offer; only these types make the offers' figures,
// and the fixed condition keeps the others out of the visitors too. Visitors: ≤ 10 + 5 + 5 + 3 +
// 2 = 25 cells, √25; each count by its type's bound; revenue: purchases only, ≤ 2,000.
const OFFER_TYPES: readonly EventType[] = [
  'offer_impression',
  'offer_click',
  'add_to_cart',
  'checkout',
  'purchase',
]
const offerEvents = (name: string, type: EventType, weight: number) =>
  measure(name, 'count', `sumMergeIf(events, type = '${type}')`, EVENTS_PER_VISITOR_DAY[type], weight)

const COMMERCE_MEASUREMENTS: readonly Measurement[] = [
  {
    // Products: key (product_id, category), as the products view shows them.
    id: 'products',
    table: 'products_daily',
    keys: ['product_id', 'category'],
    where: '',
    groupings: { '': 1 },
    grain: 'day',
    measures: [
      visitorsIn(PRODUCT_CELLS, 0.4),
      measure('views', 'count', 'sumMerge(views)', EVENTS_PER_VISITOR_DAY.product_view, 0.2),
      measure('carts', 'count', 'sumMerge(carts)', EVENTS_PER_VISITOR_DAY.add_to_cart, 0.1),
      measure('removals', 'count', 'sumMerge(removals)', EVENTS_PER_VISITOR_DAY.remove_from_cart, 0.05),
      measure('checkouts', 'count', 'sumMerge(checkouts)', orderItems('checkout'), 0.05),
      measure('purchases', 'count', 'sumMerge(purchases)', orderItems('purchase'), 0.1),
      measure('quantity', 'count', 'sumMerge(quantity)', UNITS_PER_VISITOR_DAY, 0.05),
      measure('revenue', 'sum', 'sumMerge(revenue)', 2 * REVENUE_PER_VISITOR_DAY, 0.05),
    ],
  },
  {
    // The purchase funnel: visitors, events and revenue per step.
    id: 'funnel',
    table: 'funnel_daily',
    keys: ['step'],
    where: '',
    groupings: { '': 1 },
    grain: 'day',
    domain: FUNNEL_STEPS,
    measures: [
      visitorsIn(cellsBound(FUNNEL_TYPES, FUNNEL_STEPS.length), 0.5),
      measure('events', 'count', 'sumMerge(events)', funnelEventsL2, 0.25),
      measure(
        'revenue',
        'sum',
        'sumMerge(revenue)',
        REVENUE_PER_VISITOR_DAY * Math.sqrt(ORDER_STEPS.length),
        0.25,
      ),
    ],
  },
  {
    // Site search terms: ≤ 5 searches a visitor-day, each in one term's cell.
    id: 'search',
    table: 'search_daily',
    keys: ['query'],
    where: '',
    groupings: { '': 0.5 },
    grain: 'day',
    measures: [
      visitorsIn(cellsBound(['search']), 0.5),
      measure('searches', 'count', 'sumMerge(searches)', eventsBound(['search']), 0.35),
      measure('zero_results', 'count', 'sumMerge(zero_results)', eventsBound(['search']), 0.15),
    ],
  },
  {
    // "Viewed A, then B": a product_view naming the product before, ≤ 10 a visitor-day. Keyed by
    // from_product, to_product and to_category (the category of interest, the one the k-gated
    // view filters by); the categories of the product left are not a key: a product has one
    // category, so the read derives it from the released cells (api/released-commerce.ts).
    id: 'transitions',
    table: 'transitions_daily',
    keys: ['from_product', 'to_product', 'to_category'],
    where: '',
    groupings: { '': 0.5 },
    grain: 'day',
    measures: [
      visitorsIn(cellsBound(['product_view']), 0.5),
      measure('transitions', 'count', 'sumMerge(transitions)', eventsBound(['product_view']), 0.5),
    ],
  },
  {
    // Offers per offer and variant; visitors are the distinct visitors of any of its events.
    id: 'offers',
    table: 'offers_daily',
    keys: ['offer_id', 'variant'],
    where: `type IN (${OFFER_TYPES.map((type) => `'${type}'`).join(', ')})`,
    groupings: { '': 1 },
    grain: 'day',
    measures: [
      visitorsIn(cellsBound(OFFER_TYPES), 0.3),
      offerEvents('impressions', 'offer_impression', 0.2),
      offerEvents('clicks', 'offer_click', 0.15),
      offerEvents('carts', 'add_to_cart', 0.05),
      offerEvents('checkouts', 'checkout', 0.05),
      offerEvents('purchases', 'purchase', 0.15),
      measure('revenue', 'sum', "sumMergeIf(revenue, type = 'purchase')", REVENUE_PER_VISITOR_DAY, 0.1),
    ],
  },
]

/**
 * The recommendation service's arms (docs/privacy.md, "The recommendation service"): per offer and
 * variant, site-wide and per device, the visitor-days that saw it (`exposed`, which decides the
 * release) and those of them with a purchase credited to it (`converted`). Counting visitor-days
 * rather than impressions and purchases cuts the sensitivity to √(cells a visitor-day reaches):
 * ≤ 10 impressions, so √10 for `exposed`; ≤ 2 purchases, √2 for `converted`. Published per month,
 * and per ISO week at half the weight for the month under way; never per day, whose cells would
 * spend the budget on noise: a conversion rate needs weeks of data to tell variants apart. The
 * insights job reads last month and this month's closed weeks (jobs/insights.ts). At ε = 1 a
 * device's month has `converted` σ ≈ 35, which tells a variant converting 10 % from one at 5 % on
 * a few thousand exposed visitor-days.
 */
const OFFER_ARMS: Measurement = {
  id: 'offer_arms',
  table: 'offers_daily',
  keys: ['offer_id', 'variant'],
  where: "type IN ('offer_impression', 'purchase')",
  groupings: { '': 0.25, device: 3 },
  grain: 'day',
  grains: { month: 1, week: 0.25 },
  measures: [
    measure(
      'exposed',
      'visitors',
      "uniqCombinedMergeIf(visitors, type = 'offer_impression')",
      Math.sqrt(EVENTS_PER_VISITOR_DAY.offer_impression),
      1.8,
    ),
    measure(
      'converted',
      'count',
      "uniqCombinedMergeIf(visitors, type = 'purchase')",
      Math.sqrt(EVENTS_PER_VISITOR_DAY.purchase),
      3.2,
    ),
  ],
}

export const MEASUREMENTS: readonly Measurement[] = [
  {
    // The headline: the day's distinct visitors and pageviews (the overview cards, the chart).
    id: 'totals',
    table: 'traffic_daily',
    keys: [],
    where: '',
    groupings: FILTERS,
    grain: 'day',
    measures: [
      visitors(EVENT_TYPES, 6, 1),
      pageviews("sumMergeIf(events, type = 'pageview')", 4.8),
      {
        name: 'revenue',
        kind: 'sum',
        sql: "sumMergeIf(revenue, type = 'purchase')",
        l2: REVENUE_PER_VISITOR_DAY,
        weight: 1,
      },
    ],
  },
  {
    // Events and visitors per event type (the overview's per-type figures, conversion).
    id: 'traffic',
    table: 'traffic_daily',
    keys: ['type'],
    where: '',
    groupings: { '': 1, source: 0.25, device: 0.25, country: 0.25 },
    grain: 'day',
    domain: EVENT_TYPES,
    measures: [
      { name: 'events', kind: 'count', sql: 'sumMerge(events)', l2: perTypeL2, weight: 1 },
      visitors(EVENT_TYPES, 1, EVENT_TYPES.length),
    ],
  },
  {
    // Today, live: events per type and closed hour. No visitors: a visitor exists per day.
    id: 'traffic_hourly',
    table: 'traffic_hourly',
    keys: ['type'],
    where: '',
    groupings: { '': 1 },
    grain: 'hour',
    domain: EVENT_TYPES,
    measures: [{ name: 'events', kind: 'count', sql: 'sumMerge(events)', l2: perTypeL2, weight: 1 }],
  },
  pageviewList('pages', 'pages_daily', 'path'),
  pageviewList('sources.source', 'sources_daily', 'source', { '': 2, device: 0.25, country: 0.25 }),
  pageviewList('sources.referrer_host', 'sources_daily', 'referrer_host', { '': 0.3 }),
  pageviewList('sources.utm_source', 'sources_daily', 'utm_source', { '': 0.3 }),
  pageviewList('sources.utm_medium', 'sources_daily', 'utm_medium', { '': 0.3 }),
  pageviewList('sources.utm_campaign', 'sources_daily', 'utm_campaign', { '': 0.3 }),
  pageviewList('tech.device', 'tech_daily', 'device', { '': 1, source: 0.25, country: 0.25 }),
  pageviewList('tech.browser', 'tech_daily', 'browser', { '': 0.3 }),
  pageviewList('tech.os', 'tech_daily', 'os', { '': 0.3 }),
  pageviewList('tech.country', 'tech_daily', 'country', { '': 2, source: 0.25, device: 0.25 }),
  ...ENGAGEMENT_MEASUREMENTS,
  ...COMMERCE_MEASUREMENTS,
  OFFER_ARMS,
]

/** The grains `entry` is published at, with their budget multipliers. */
export function publishedGrains(entry: Measurement): Array<[Grain, number]> {
  if (!entry.grains) return [[entry.grain, 1]]
  return (Object.entries(entry.grains) as Array<[Grain, number]>).filter(([, weight]) => weight > 0)
}

/** The measurement named `id`; throws on an unknown one (a read or a test naming a typo). */
export function measurement(id: string): Measurement {
  const found = MEASUREMENTS.find((entry) => entry.id === id)
  if (!found) throw new Error(`unknown measurement ${id}`)
  return found
}
