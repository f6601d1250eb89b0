import { EVENTS_PER_VISITOR_DAY, REVENUE_PER_VISITOR_DAY } from '../../schemas/contribution.ts'
import { EVENT_TYPES } from '../../schemas/events.ts'
import { count, type Grain, LIST_GRAINS, type Measurement, PAGEVIEW, pageviews, visitors } from './measure.ts'
import { COMMERCE_MEASUREMENTS, OFFER_ARMS } from './measurements-commerce.ts'
import { ENGAGEMENT_MEASUREMENTS } from './measurements-engagement.ts'

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
 * The list is split by area: the traffic entries here, the visit and engagement ones in
 * ./measurements-engagement.ts, the commerce and recommendation ones in ./measurements-commerce.ts,
 * their vocabulary in ./measure.ts. Names are written into SQL: table, columns and expressions are
 * constants of these files, never input (test/aggregator/release-measurements.test.ts checks them against an allow-list).
 */

// The headline without a filter is what the overview's cards read first; its measures' weights
// are for it, their `filteredWeight` for each filter (docs/privacy.md, "The budget").
const FILTERS = { '': 1, source: 1, device: 1, country: 1 } as const
const LISTS = { '': 3, source: 0.25, device: 0.25, country: 0.25 } as const
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

export const MEASUREMENTS: readonly Measurement[] = [
  {
    // The headline: the day's distinct visitors, pageviews, visitors who bought (conversion) and
    // revenue (the overview cards, the chart). A visitor-day is one visitor and buys or not: the
    // buyers move by 1, far less than the visitors per type of `traffic` (√17).
    id: 'totals',
    table: 'traffic_daily',
    keys: [],
    where: '',
    groupings: FILTERS,
    grain: 'day',
    // The site's day is one cell released whatever it holds, as the per-type figures' are; a
    // filtered cell (a country's day) needs its noisy visitors to pass the threshold.
    domain: [''],
    measures: [
      { ...visitors(EVENT_TYPES, 5, 1), filteredWeight: 1.6 },
      { ...pageviews("sumMergeIf(events, type = 'pageview')", 29), filteredWeight: 1 },
      // By source a visitor-day's purchases may each fall in a cell of its own.
      {
        ...count('buyers', "uniqCombinedMergeIf(visitors, type = 'purchase')", 1, 7),
        l2By: { source: Math.sqrt(EVENTS_PER_VISITOR_DAY.purchase) },
        filteredWeight: 0.2,
      },
      {
        name: 'revenue',
        kind: 'sum',
        sql: "sumMergeIf(revenue, type = 'purchase')",
        l2: REVENUE_PER_VISITOR_DAY,
        weight: 1.4,
        filteredWeight: 0.1,
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
