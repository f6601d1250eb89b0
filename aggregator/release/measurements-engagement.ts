import {
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  eventsBound,
  VISITS_PER_VISITOR_DAY,
} from '../../schemas/contribution.ts'
import { type EventType, LIMITS } from '../../schemas/events.ts'
import {
  count,
  LIST_GRAINS,
  type Measure,
  type Measurement,
  PAGEVIEW,
  VISITORS,
  visitors,
} from './measure.ts'

// --- Visits and engagement (docs/engagement.md) ------------------------------------------------
// The collector lets a visitor-day begin at most VISITS visits and take back at most VISITS
// bounces (collector/contribution-bound.ts): visits and entries move by VISITS; the +1/-1 bounce
// column by VISITS up and VISITS down, which may fall in two cells (a visit begun in one source,
// a second page taken back in another): L2 ≤ √2·VISITS. In one cell (no filter, or by device or
// country, which a visitor-day has one of) they net to within ±VISITS: L2 ≤ VISITS. Exits are +1 on a page and -1 on the page
// before it, at most twice the pageviews in all cells.
const PAGES = eventsBound(PAGEVIEW)
const VISITS = VISITS_PER_VISITOR_DAY
const BOUNCES = Math.SQRT2 * VISITS
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
export const ENGAGEMENT_MEASUREMENTS: readonly Measurement[] = [
  {
    // The overview's visits, bounce rate and visit duration; views per visit are the headline's
    // pageviews over these visits (every pageview is in visits_daily too).
    id: 'visits',
    table: 'visits_daily',
    keys: [],
    where: '',
    groupings: { '': 1, source: 1, device: 1, country: 1 },
    grain: 'day',
    // One cell a day without a filter, released whatever it holds (as `totals`).
    domain: [''],
    measures: [
      { ...visitors(PAGEVIEW, 0.1, 1), filteredWeight: 0.3 },
      { ...count('visits', 'sumMerge(visits)', VISITS, 19), filteredWeight: 0.2 },
      {
        ...count('bounces', 'sumMerge(bounces)', VISITS, 6),
        l2By: { source: BOUNCES },
        filteredWeight: 0.05,
      },
      { ...engagedSeconds(0.7), filteredWeight: 0.05 },
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
    measures: [count('visits', 'sumMerge(visits)', VISITS, 1)],
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
      count('entries', 'sumMerge(entries)', VISITS, 0.5),
      count('bounces', 'sumMerge(bounces)', BOUNCES, 0.25),
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
    measures: [count('visits', 'sumMerge(visits)', VISITS, 0.5), visitors(PAGEVIEW, 0.5, 2)],
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
