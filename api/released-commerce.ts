import type { z } from 'zod'
import { FUNNEL_STEPS } from '../schemas/constants.ts'
import { type Figure, noiseOf, shown } from '../warehouse/released/figures.ts'
import {
  keyParts,
  type ReleasedRange,
  type ReleasedReader,
  releasedFilter,
} from '../warehouse/released/reader.ts'
import type { StatsQuery } from './params.ts'
import { money as toCents } from './queries/common.ts'
import type { FunnelRow, OfferRow, ProductRow, SearchRow, TransitionRow } from './rows.ts'

/**
 * The commerce views (products, funnel, search terms, transitions, offers) as post-processing of
 * their released measurements (aggregator/release/measurements.ts): the same rows as the
 * k-gated views, each figure the sum of its days' released values and `sd` the standard deviation
 * of its noise. Nothing here reads a rollup; the reader reads `released` only.
 *
 * Counts are shown as non-negative integers; money is released in whole currency units per day
 * and shown to the cent, unclamped (refunds make revenue negative).
 */

type Measures = ReadonlyMap<string, Figure>
type Cells = Map<string, Map<string, Figure>>

const rangeOf = (query: StatsQuery): ReleasedRange => ({
  site: query.site,
  from: query.from,
  to: query.to,
  filter: releasedFilter(query),
})

// Money to the cent, as the k path's rows (queries/common.ts).
const money = (figure: Figure | undefined): number => toCents(figure?.value ?? 0)

/** The counts and money of `names` from a cell, and their noise. */
function figures<Count extends string, Money extends string = never>(
  measures: Measures,
  counts: readonly Count[],
  sums: readonly Money[] = [],
): Record<Count | Money, number> & { sd: Record<string, number> } {
  const values: Record<string, number> = {}
  const sd: Record<string, number> = {}
  for (const name of counts) values[name] = shown(measures.get(name))
  for (const name of sums) values[name] = money(measures.get(name))
  for (const name of [...counts, ...sums]) sd[name] = noiseOf(measures.get(name))
  return { ...(values as Record<Count | Money, number>), sd }
}

/** Orders rows by the given figures, largest first, then by the given names. */
const byFigures =
  <Row extends Record<string, unknown>>(
    figuresFirst: readonly (keyof Row)[],
    names: readonly (keyof Row)[],
  ) =>
  (a: Row, b: Row): number => {
    for (const name of figuresFirst) {
      const diff = (b[name] as number) - (a[name] as number)
      if (diff !== 0) return diff
    }
    for (const name of names) {
      const [x, y] = [String(a[name]), String(b[name])]
      if (x !== y) return x < y ? -1 : 1
    }
    return 0
  }

// The route adds the site's currency (stats-routes.ts).
type Product = Omit<z.infer<typeof ProductRow>, 'currency'>
const PRODUCT_COUNTS = [
  'views',
  'carts',
  'removals',
  'checkouts',
  'purchases',
  'quantity',
  'visitors',
] as const

/** Views, carts, orders and revenue per (product, category), sorted as the k-gated view is. */
export async function releasedProducts(query: StatsQuery, reader: ReleasedReader): Promise<Product[]> {
  const cells = await reader.byKey('products', rangeOf(query))
  return [...cells]
    .map(([key, measures]): Product => {
      const [product_id, category] = keyParts(key)
      return { product_id, category, ...figures(measures, PRODUCT_COUNTS, ['revenue']) }
    })
    .sort(byFigures<Product>(['views', 'visitors'], ['product_id', 'category']))
}

type FunnelStep = Omit<z.infer<typeof FunnelRow>, 'currency'>

/**
 * Every step of the funnel, in order: the steps are a public list, each released every day. A
 * step with no events is a noisy zero, so a rate is taken over a step only when its visitors'
 * 95 % interval excludes zero (with DP off: when it has any); drop-off is from the nearest such
 * step before, conversion from the first step.
 */
export async function releasedFunnel(query: StatsQuery, reader: ReleasedReader): Promise<FunnelStep[]> {
  const cells = await reader.byKey('funnel', rangeOf(query))
  const byStep = new Map([...cells].map(([key, measures]) => [keyParts(key)[0], measures]))
  const steps = FUNNEL_STEPS.flatMap((step) => {
    const measures = byStep.get(step)
    return measures
      ? [{ step, ...figures(measures, ['events', 'visitors'] as const, ['revenue'] as const) }]
      : []
  })
  const present = (row: (typeof steps)[number]) => row.visitors > 1.96 * (row.sd.visitors ?? 0)
  const first = steps[0]?.step === FUNNEL_STEPS[0] && present(steps[0]) ? steps[0] : undefined
  let before: (typeof steps)[number] | undefined
  return steps.map((row, index) => {
    const drop = index === 0 || !before ? null : round(1 - row.visitors / before.visitors)
    const conversion = first ? round(row.visitors / first.visitors) : null
    if (present(row)) before = row
    return {
      step: row.step,
      events: row.events,
      revenue: row.revenue,
      visitors: row.visitors,
      drop_off: drop,
      conversion,
      sd: row.sd,
    }
  })
}

type Search = z.infer<typeof SearchRow>
const SEARCH_COUNTS = ['searches', 'zero_results', 'visitors'] as const

/** Searches, zero-result searches and visitors per search term. */
export async function releasedSearch(query: StatsQuery, reader: ReleasedReader): Promise<Search[]> {
  const cells = await reader.byKey('search', rangeOf(query))
  return [...cells]
    .map(([key, measures]): Search => {
      const values = figures(measures, SEARCH_COUNTS)
      return { query: keyParts(key)[0], ...values }
    })
    .sort(byFigures<Search>(['searches', 'visitors'], ['query']))
}

type Transition = z.infer<typeof TransitionRow>
const TRANSITION_COUNTS = ['transitions', 'visitors'] as const

/**
 * Transitions from product to product. The product left has no category in the released cells
 * (the measurement keys from_product, to_product, to_category): it is the category the same
 * product has where it is the one viewed next, else in the released products, else ''.
 */
export async function releasedTransitions(
  query: StatsQuery & { product?: string | undefined },
  reader: ReleasedReader,
): Promise<Transition[]> {
  const range = rangeOf(query)
  const [cells, products] = await Promise.all([
    reader.byKey('transitions', range),
    reader.byKey('products', range),
  ])
  const categories = new Map<string, string>()
  learnCategories(categories, cells, 1, 2, 'transitions')
  learnCategories(categories, products, 0, 1, 'views')
  return [...cells]
    .map(([key, measures]): Transition => {
      const [from_product, to_product, to_category] = keyParts(key)
      const values = figures(measures, TRANSITION_COUNTS)
      return {
        from_product,
        from_category: categories.get(from_product) ?? '',
        to_product,
        to_category,
        ...values,
      }
    })
    .filter((row) => query.product === undefined || row.from_product === query.product)
    .sort(byFigures<Transition>(['transitions', 'visitors'], ['from_product', 'to_product']))
}

/** Each product's category from cells keyed by both, the largest cell first; known ones stay. */
function learnCategories(
  into: Map<string, string>,
  cells: Cells,
  product: number,
  category: number,
  by: string,
) {
  const ranked = [...cells].sort(([, a], [, b]) => (b.get(by)?.value ?? 0) - (a.get(by)?.value ?? 0))
  const found = new Map<string, string>()
  for (const [key] of ranked) {
    const parts = keyParts(key)
    const id = parts[product] as string
    if (!found.has(id)) found.set(id, parts[category] as string)
  }
  for (const [id, name] of found) if (!into.has(id)) into.set(id, name)
}

type Offer = Omit<z.infer<typeof OfferRow>, 'currency'>
const OFFER_COUNTS = ['impressions', 'clicks', 'carts', 'checkouts', 'purchases', 'visitors'] as const

/** Impressions, clicks and what followed, per offer and variant. */
export async function releasedOffers(query: StatsQuery, reader: ReleasedReader): Promise<Offer[]> {
  const cells = await reader.byKey('offers', rangeOf(query))
  return [...cells]
    .map(([key, measures]): Offer => {
      const [offer_id, variant] = keyParts(key)
      return { offer_id, variant, ...figures(measures, OFFER_COUNTS, ['revenue']) }
    })
    .sort(byFigures<Offer>(['impressions', 'visitors'], ['offer_id', 'variant']))
}

const round = (value: number) => Math.round(value * 10_000) / 10_000
