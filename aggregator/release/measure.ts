import { SOURCES } from '../../schemas/constants.ts'
import { cellsBound, eventsBound } from '../../schemas/contribution.ts'
import type { EventType } from '../../schemas/events.ts'

/**
 * The vocabulary of the released measurements (./measurements.ts): their types and the helpers
 * that make a measure with its L2 sensitivity from the contribution bounds.
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
  /**
   * Its L2 sensitivity in a filtered grouping set where that differs. A visitor-day has one
   * device and one country (its hash is of one user agent and one address), but each tab keeps
   * the source it landed from, so a visitor-day may be in every one of the SOURCES: a figure that
   * moves one cell per visitor-day without a filter moves up to that many by source.
   */
  readonly l2By?: Partial<Record<GroupingName, number>>
  /** Share of the budget, relative to the other measures' weights (per grouping set). */
  readonly weight: number
  /**
   * Its weight in the filtered grouping sets, when not `weight`: the headline's visitors decide
   * which filtered cells are released but are a public domain without a filter, where they need
   * little of the budget.
   */
  readonly filteredWeight?: number
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
export const VISITORS = 'uniqCombinedMerge(visitors)'
export const PAGEVIEW: EventType[] = ['pageview']
/**
 * The grains a list is published at, as multipliers of its weights. A list's daily cells pass
 * their threshold only for groups of many hundreds of visitors a day, so most of a list's share
 * goes to its weeks, which answer the ranges people ask for (the last 7, 28 or 30 days), and to
 * its months; the day keeps a little, for the largest groups of a short range.
 */
export const LIST_GRAINS = { day: 0.1, week: 2, month: 0.5 } as const

export const visitors = (types: readonly EventType[], weight: number, domain?: number): Measure => ({
  name: 'visitors',
  kind: 'visitors',
  sql: VISITORS,
  l2: Math.sqrt(cellsBound(types, domain)),
  // By source, each cell of the domain may be reached once per source (see Measure.l2By).
  ...(domain === undefined
    ? {}
    : { l2By: { source: Math.sqrt(cellsBound(types, domain * SOURCES.length)) } }),
  weight,
})

export const pageviews = (sql: string, weight: number): Measure =>
  measure('pageviews', 'count', sql, eventsBound(PAGEVIEW), weight)

export const measure = (
  name: string,
  kind: Measure['kind'],
  sql: string,
  l2: number,
  weight: number,
): Measure => ({
  name,
  kind,
  sql,
  l2,
  weight,
})

/** A count of events (or of visits, entries...) whose vector moves by at most `l2`. */
export const count = (name: string, sql: string, l2: number, weight: number): Measure =>
  measure(name, 'count', sql, l2, weight)

/** Visitors of a grouping set in which one visitor-day reaches at most `cells` cells, each by 1. */
export const visitorsIn = (cells: number, weight: number): Measure =>
  measure('visitors', 'visitors', VISITORS, Math.sqrt(cells), weight)

/** A measure's L2 sensitivity in `grouping` (Measure.l2By, else its l2). */
export const l2In = (measure: Measure, grouping: GroupingName): number =>
  measure.l2By?.[grouping] ?? measure.l2
