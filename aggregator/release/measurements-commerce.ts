import { FUNNEL_STEPS } from '../../schemas/constants.ts'
import {
  cellsBound,
  EVENTS_PER_VISITOR_DAY,
  eventsBound,
  ITEMS_PER_ORDER,
  REVENUE_PER_VISITOR_DAY,
  UNITS_PER_VISITOR_DAY,
} from '../../schemas/contribution.ts'
import type { EventType } from '../../schemas/events.ts'
import { type Measurement, measure, visitorsIn } from './measure.ts'

// --- Commerce: products, funnel, search terms, transitions, offers -------------------------------
// Released without filters only: per filter value a day's cells would need thousands of visitors to
// pass their threshold, so a filtered grouping set would spend budget on cells never released; the
// read API refuses filters on these views when it answers from them. Their weights add up to 4 of
// the list's ~103: together they make every other figure's noise about 2 % larger. Sensitivities
// are for one visitor-day, from schemas/contribution.ts, enforced by collector/contribution-bound.ts
// (docs/privacy.md, "Measurements and sensitivities").
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

export const COMMERCE_MEASUREMENTS: readonly Measurement[] = [
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
 * and per ISO week at a quarter of the weight for the month under way; never per day, whose cells would
 * spend the budget on noise: a conversion rate needs weeks of data to tell variants apart. The
 * insights job reads last month and this month's closed weeks (jobs/insights.ts). At ε = 1 a
 * device's month has `converted` σ ≈ 35, which tells a variant converting 10 % from one at 5 % on
 * a few thousand exposed visitor-days.
 */
export const OFFER_ARMS: Measurement = {
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
