import { z } from 'zod'
import { type Device, VISITORS_NOW_MINUTES } from '../schemas/constants.ts'
import { currencyOf } from '../schemas/currency.ts'
import { RELEASED_FILTERS, type ReleasedFilterName, releasedFilter } from '../warehouse/released/reader.ts'
import { ENGAGEMENT_ROUTES } from './engagement-routes.ts'
import { nowRoute } from './now-route.ts'
import { buildOverview, previousPeriod } from './overview.ts'
import { Limit, statsQuery } from './params.ts'
import { getDailySeries } from './queries/getDailySeries.ts'
import { FUNNEL_STEPS, type FunnelStepRow, getFunnelSteps } from './queries/getFunnelSteps.ts'
import { getHourlySeries } from './queries/getHourlySeries.ts'
import { getOffers } from './queries/getOffers.ts'
import { getPages } from './queries/getPages.ts'
import { getProducts } from './queries/getProducts.ts'
import { getSearchTerms } from './queries/getSearchTerms.ts'
import { getSources, SOURCE_DIMENSIONS, type SourceDimension } from './queries/getSources.ts'
import { getTechBreakdown } from './queries/getTechBreakdown.ts'
import { getTrafficByType } from './queries/getTrafficByType.ts'
import { getTransitions } from './queries/getTransitions.ts'
import { getVisitSeries } from './queries/getVisitSeries.ts'
import { getVisits } from './queries/getVisits.ts'
import type { Group } from './release.ts'
import {
  releasedFunnel,
  releasedOffers,
  releasedProducts,
  releasedSearch,
  releasedTransitions,
} from './released-commerce.ts'
import { pageviewList, releasedRange, type Sums } from './released-lists.ts'
import { releasedOverview, releasedSeries } from './released-overview.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'
import {
  BrowserRow,
  CountryRow,
  DeviceRow,
  FunnelRow,
  OfferRow,
  OsRow,
  OverviewRow,
  PageRow,
  ProductRow,
  SearchRow,
  SeriesRow,
  SourceRow,
  TransitionRow,
} from './rows.ts'

/**
 * `/api/stats/*`: the dashboard's views over the rollups, each filtered only by what its rollup
 * holds. The lists that have a released measurement (pages, sources, devices, browsers, OS,
 * countries) answer from it instead when DP is on (`released`, api/released-lists.ts).
 */

// Rollups without a product dimension cannot answer a category filter.
const TRAFFIC = ['source', 'device', 'country'] as const
const COMMERCE = ['source', 'device', 'country', 'category'] as const

// The grouping sets released for each `by` of /sources (aggregator/release/measurements.ts): the
// source classes by device or country; referrer hosts and campaign tags without filters.
const SOURCE_FILTERS: Record<SourceDimension, readonly ReleasedFilterName[]> = {
  source: ['device', 'country'],
  referrer_host: [],
  utm_source: [],
  utm_medium: [],
  utm_campaign: [],
}

// The tech views are ordered by visitors first, as getTechBreakdown orders them.
const techList = (sums: Sums) => pageviewList(sums, 'visitors')

/**
 * The `/api/stats/*` routes. `visitorsNow` is the collector's live count (`/now`). `currencies`
 * (CURRENCIES, schemas/currency.ts) names the currency of each site's order values: every row
 * with revenue carries it, so an amount is never shown without its unit.
 */
export function statsRoutes(
  currencies: ReadonlyMap<string, string>,
  visitorsNow?: (site: string) => number,
): readonly ReleasedRoute[] {
  const currency = (query: { site: string }) => currencyOf(currencies, query.site)
  const inCurrency = <Row extends object>(query: { site: string }, rows: readonly Row[]) =>
    rows.map((row) => ({ ...row, currency: currency(query) }))

  const overview = releasedRoute({
    path: '/overview',
    summary: 'Headline figures for a range and the period of equal length before it',
    description:
      'Pageviews, visitors, events per type, purchase revenue and conversion rate; visits, views per visit, bounce rate and visit duration. Each period is one group: below K_ANON visitors it is null.',
    shape: 'object',
    names: ['current', 'previous'],
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, {}),
    row: OverviewRow,
    handler: async (query, ctx) => {
      const before = { ...query, ...previousPeriod(query) }
      const [current, previous, currentVisits, previousVisits] = await Promise.all([
        getTrafficByType(ctx.warehouse, query),
        getTrafficByType(ctx.warehouse, before),
        getVisits(ctx.warehouse, query),
        getVisits(ctx.warehouse, before),
      ])
      const unit = { currency: currency(query) }
      return {
        current: { ...buildOverview(query, current, ctx.meetsK, currentVisits), ...unit },
        previous: { ...buildOverview(before, previous, ctx.meetsK, previousVisits), ...unit },
      }
    },
    released: {
      filters: RELEASED_FILTERS,
      handler: async (query, reader) => {
        const filter = releasedFilter(query)
        const [current, previous] = await Promise.all([
          releasedOverview(reader, { site: query.site, from: query.from, to: query.to, filter }),
          releasedOverview(reader, { site: query.site, ...previousPeriod(query), filter }),
        ])
        const unit = { currency: currency(query) }
        return { current: current && { ...current, ...unit }, previous: previous && { ...previous, ...unit } }
      },
    },
  })

  const timeseries = releasedRoute({
    path: '/timeseries',
    summary: 'Pageviews, events, revenue, visitors and visits per day or per hour',
    description:
      'One row per UTC day or hour that has events. Missing buckets had no events or were held back. Hourly `visitors` is an upper bound: visitors exist per day.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, {
      interval: z.enum(['day', 'hour']).default('day').describe('Bucket size.'),
    }),
    row: SeriesRow,
    handler: async (query, ctx) => {
      const [points, visits] = await Promise.all([
        query.interval === 'hour'
          ? getHourlySeries(ctx.warehouse, query)
          : getDailySeries(ctx.warehouse, query),
        getVisitSeries(ctx.warehouse, query, query.interval),
      ])
      // Visits ride on the bucket's release: a bucket held back takes its visits with it.
      const unit = currency(query)
      return points.map((point) => ({ ...point, visits: visits.get(point.time) ?? 0, currency: unit }))
    },
    released: {
      filters: RELEASED_FILTERS,
      handler: async (query, reader) =>
        inCurrency(
          query,
          await releasedSeries(
            reader,
            { site: query.site, from: query.from, to: query.to, filter: releasedFilter(query) },
            query.interval,
          ),
        ),
    },
  })

  const pages = releasedRoute({
    path: '/pages',
    summary: 'Pageviews and visitors per page',
    description: 'Paths are scrubbed: ids in them read `:id`.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: PageRow,
    handler: (query, ctx) => getPages(ctx.warehouse, query),
    released: {
      filters: TRAFFIC,
      handler: async (query, reader) =>
        pageviewList(await reader.byKey('pages', releasedRange(query)), 'pageviews').map(
          ({ value, ...row }) => ({ path: value, ...row }),
        ),
    },
  })

  const sources = releasedRoute({
    path: '/sources',
    summary: 'Pageviews and visitors per source class, referrer host or campaign tag',
    description:
      'Grouped by one dimension, `by`: source (class), referrer_host, utm_source, utm_medium or utm_campaign.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, {
      by: z
        .enum(Object.keys(SOURCE_DIMENSIONS) as [SourceDimension, ...SourceDimension[]])
        .default('source')
        .describe('The dimension to group by.'),
      limit: Limit,
    }),
    row: SourceRow,
    handler: (query, ctx) => getSources(ctx.warehouse, query),
    released: {
      filters: SOURCE_FILTERS.source,
      filtersBy: { param: 'by', values: SOURCE_FILTERS },
      handler: async (query, reader) =>
        pageviewList(await reader.byKey(`sources.${query.by}`, releasedRange(query)), 'pageviews'),
    },
  })

  const devices = releasedRoute({
    path: '/devices',
    summary: 'Pageviews and visitors per device class',
    description: 'desktop, mobile, tablet, other.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: DeviceRow,
    handler: async (query, ctx) =>
      (await getTechBreakdown(ctx.warehouse, 'device', query)).map(({ value, ...row }) => ({
        // The rollup's device column holds the collector's classes only (collector/coarsen.ts).
        device: value as Device,
        ...row,
      })),
    released: {
      filters: ['source', 'country'],
      handler: async (query, reader) =>
        techList(await reader.byKey('tech.device', releasedRange(query))).map(({ value, ...row }) => ({
          device: value as Device,
          ...row,
        })),
    },
  })

  const browsers = releasedRoute({
    path: '/browsers',
    summary: 'Pageviews and visitors per browser family',
    description: 'Families only (Chrome, Safari, Firefox, …), never versions.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: BrowserRow,
    handler: async (query, ctx) =>
      (await getTechBreakdown(ctx.warehouse, 'browser', query)).map(({ value, ...row }) => ({
        browser: value,
        ...row,
      })),
    released: {
      filters: [],
      handler: async (query, reader) =>
        techList(await reader.byKey('tech.browser', releasedRange(query))).map(({ value, ...row }) => ({
          browser: value,
          ...row,
        })),
    },
  })

  const os = releasedRoute({
    path: '/os',
    summary: 'Pageviews and visitors per operating-system family',
    description: 'Families only (Windows, macOS, iOS, Android, Linux, …), never versions.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: OsRow,
    handler: async (query, ctx) =>
      (await getTechBreakdown(ctx.warehouse, 'os', query)).map(({ value, ...row }) => ({
        os: value,
        ...row,
      })),
    released: {
      filters: [],
      handler: async (query, reader) =>
        techList(await reader.byKey('tech.os', releasedRange(query))).map(({ value, ...row }) => ({
          os: value,
          ...row,
        })),
    },
  })

  const countries = releasedRoute({
    path: '/countries',
    summary: 'Pageviews and visitors per country',
    description: 'ISO 3166-1 alpha-2 codes; an empty code is an unknown country.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: CountryRow,
    handler: async (query, ctx) =>
      (await getTechBreakdown(ctx.warehouse, 'country', query)).map(({ value, ...row }) => ({
        country: value,
        ...row,
      })),
    released: {
      filters: ['source', 'device'],
      handler: async (query, reader) =>
        techList(await reader.byKey('tech.country', releasedRange(query))).map(({ value, ...row }) => ({
          country: value,
          ...row,
        })),
    },
  })

  const products = releasedRoute({
    path: '/products',
    summary: 'Views, carts, checkouts, purchases and revenue per product',
    description: 'Order items count for their product. Sorted by views.',
    shape: 'list',
    filters: COMMERCE,
    query: statsQuery(COMMERCE, { limit: Limit }),
    row: ProductRow,
    handler: async (query, ctx) => inCurrency(query, await getProducts(ctx.warehouse, query)),
    // Released without filters only (aggregator/release/measurements.ts).
    released: {
      filters: [],
      handler: async (query, reader) => inCurrency(query, await releasedProducts(query, reader)),
    },
  })

  const funnel = releasedRoute({
    path: '/funnel',
    summary:
      'The purchase funnel: product_view → add_to_cart → checkout → shipping_info → payment_info → purchase → refund',
    description:
      'Visitors per step, with the drop-off from the step before and the conversion from the first.',
    shape: 'list',
    filters: COMMERCE,
    query: statsQuery(COMMERCE, {}),
    row: FunnelRow,
    handler: async (query, ctx) =>
      inCurrency(query, withRates(await getFunnelSteps(ctx.warehouse, query), ctx.meetsK)),
    released: {
      filters: [],
      handler: async (query, reader) => inCurrency(query, await releasedFunnel(query, reader)),
    },
  })

  const transitions = releasedRoute({
    path: '/transitions',
    summary: 'Products viewed one after the other',
    description:
      'From one product to the next in the same tab. `category` filters on the product viewed next.',
    shape: 'list',
    filters: COMMERCE,
    query: statsQuery(COMMERCE, {
      product: z.string().min(1).max(128).optional().describe('Only transitions leaving this product.'),
      limit: Limit,
    }),
    row: TransitionRow,
    handler: (query, ctx) => getTransitions(ctx.warehouse, query),
    released: { filters: [], handler: releasedTransitions },
  })

  const offers = releasedRoute({
    path: '/offers',
    summary: 'Impressions, clicks and what followed, per offer and variant',
    description: 'Carts, checkouts and purchases count when the tab that clicked the offer went on to them.',
    shape: 'list',
    filters: COMMERCE,
    query: statsQuery(COMMERCE, { limit: Limit }),
    row: OfferRow,
    handler: async (query, ctx) => inCurrency(query, await getOffers(ctx.warehouse, query)),
    released: {
      filters: [],
      handler: async (query, reader) => inCurrency(query, await releasedOffers(query, reader)),
    },
  })

  const search = releasedRoute({
    path: '/search',
    summary: 'Site search terms, with zero-result counts',
    description: 'Terms are scrubbed of personal data and lower-cased by the collector.',
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: SearchRow,
    handler: (query, ctx) => getSearchTerms(ctx.warehouse, query),
    released: { filters: [], handler: releasedSearch },
  })

  return [
    overview,
    timeseries,
    pages,
    sources,
    devices,
    browsers,
    os,
    countries,
    products,
    funnel,
    transitions,
    offers,
    search,
    ...ENGAGEMENT_ROUTES,
    nowRoute({ ...(visitorsNow ? { count: visitorsNow } : {}), minutes: VISITORS_NOW_MINUTES }),
  ]
}

/** The routes with every site in DEFAULT_CURRENCY: their shapes, for the OpenAPI document and tests. */
export const STATS_ROUTES: readonly ReleasedRoute[] = statsRoutes(new Map())

function withRates(steps: FunnelStepRow[], meetsK: (group: Group) => boolean) {
  const byStep = new Map(steps.map((row) => [row.step, row]))
  const first = byStep.get(FUNNEL_STEPS[0])
  // A rate over a step below k would let that step's size be worked out, so it is not given.
  const over = (part: number, whole: FunnelStepRow | undefined) =>
    whole !== undefined && whole.visitors > 0 && meetsK(whole) ? round(part / whole.visitors) : null
  // Drop-off is from the step shown before, so a shop that sends no shipping or payment step
  // still gets purchase's drop-off from checkout.
  return steps.map((row, index) => {
    const drop = index === 0 ? null : over(row.visitors, steps[index - 1])
    return { ...row, drop_off: drop === null ? null : round(1 - drop), conversion: over(row.visitors, first) }
  })
}

const round = (value: number) => Math.round(value * 10_000) / 10_000
