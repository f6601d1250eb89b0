import { AppError } from '../../core/errors.ts'
import { RECO_TABLES, type RecoTable } from '../../schemas/constants.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'

/**
 * What the read queries share: how they run, how a range and the filters become `{name:Type}`
 * parameters, and the fixed SQL fragments that apply them. No query builds SQL from input: a
 * filter that is not given is passed as '' and its fragment matches every row.
 */

export type QueryParams = Record<string, string | number>

export async function runQuery<Row>(
  warehouse: Warehouse,
  query: string,
  params: QueryParams,
): Promise<Row[]> {
  try {
    const result = await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return await result.json<Row>()
  } catch (error) {
    // The reco_* tables appear once their migration has run; until then the reads are not ready
    // rather than broken.
    if ((error as { type?: string }).type === 'UNKNOWN_TABLE') {
      throw new AppError(503, 'not_ready', 'these figures have not been computed yet')
    }
    throw error
  }
}

/** The site, range and every filter (empty when not given) as query parameters. */
export const statsParams = (query: StatsQuery): QueryParams => ({
  site: query.site,
  from: query.from,
  to: query.to,
  source: query.source ?? '',
  device: query.device ?? '',
  country: query.country ?? '',
  category: query.category ?? '',
})

export const IN_RANGE = 'site = {site:String} AND day BETWEEN {from:Date} AND {to:Date}'
export const BY_SOURCE = "AND ({source:String} = '' OR source = {source:String})"
export const BY_DEVICE = "AND ({device:String} = '' OR device = {device:String})"
export const BY_COUNTRY = "AND ({country:String} = '' OR country = {country:String})"
export const BY_CATEGORY = "AND ({category:String} = '' OR category = {category:String})"

/**
 * A group's distinct visitors on one day: the finalized count of days whose sketches have been
 * turned into plain numbers, plus the sketch of days that still have one. Summed over the days
 * of a range, this is the sum of daily unique visitors (no hash links one day to the next).
 */
export const DAY_VISITORS = 'sumMerge(visitors_final) + uniqCombinedMerge(visitors)'

/**
 * A lower bound of the same: what the k threshold is applied to (as `visitors_floor`).
 *
 * `DAY_VISITORS` is exact at a rollup's own grain, but a read that merges several stored rows of
 * one day (all sources and devices of a path, say) adds their finalized counts, and a visitor who
 * sits in two of those rows is counted twice: the sum is only an upper bound, fine to display and
 * wrong to threshold, since three people seen from two sources would pass for six. Each stored
 * row's finalized count is a count of distinct visitors of part of the group, so the largest of
 * them is a floor; the sketches still held (days whose salt exists, or rows that arrived after
 * the day was finalized) merge exactly, so their count is one too. The greater of the two is
 * taken, not their sum: a row that arrives late for a finalized day may hold visitors the
 * finalized rows already count. For a day that has only sketches this equals `DAY_VISITORS`.
 */
export const DAY_VISITORS_FLOOR =
  'greatest(max(finalizeAggregation(visitors_final)), uniqCombinedMerge(visitors))'

/** One value of a dimension (a source class, a browser family...) with its pageviews and visitors. */
export type DimensionRow = { value: string; pageviews: number; visitors: number; visitors_floor: number }

/**
 * Pageviews and visitors per value of `column` of a daily pageview rollup, visitors counted per
 * day as DAY_VISITORS and DAY_VISITORS_FLOOR do, largest first by `order`. Callers pass columns
 * from their own allow-list and one of these tables only.
 */
export const pageviewsGroupedBy = (
  table: 'sources_daily' | 'tech_daily',
  column: string,
  order: 'pageviews' | 'visitors',
): string => `
SELECT value, sum(day_pageviews) AS pageviews, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT ${column} AS value, day, sumMerge(pageviews) AS day_pageviews, ${DAY_VISITORS} AS day_visitors,
    ${DAY_VISITORS_FLOOR} AS day_floor
  FROM ${table}
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY value, day
)
GROUP BY value
ORDER BY ${order === 'pageviews' ? 'pageviews DESC, visitors DESC' : 'visitors DESC, pageviews DESC'}, value
LIMIT ${MAX_GROUPS}`

export const toDimensionRow = (row: DimensionRow): DimensionRow => ({
  value: row.value,
  pageviews: Number(row.pageviews),
  visitors: Number(row.visitors),
  visitors_floor: Number(row.visitors_floor),
})

/**
 * Per `key` and day over the range, from a totals rollup (no source, device, country or category):
 * `day_events`, `day_revenue`, `day_visitors` and `day_floor`, the same figures as DAY_VISITORS
 * and DAY_VISITORS_FLOOR give over every row of the detailed rollup. The sketches come from the
 * totals (one per key and day instead of one per source, device and country); the finalized
 * counts come from the detailed rollup, since only its rows can give the floor (their largest
 * count) and the shown sum, and only for the days the totals mark finalized, so days that still
 * hold sketches cost no read of the detailed rollup. Names come from these fixed pairs only.
 */
export const TOTALS_BY_DAY = {
  traffic: totalsByDay('type', 'traffic_totals_daily', 'traffic_daily'),
  funnel: totalsByDay('step', 'funnel_totals_daily', 'funnel_daily'),
} as const

function totalsByDay(key: 'type' | 'step', totals: string, detailed: string): string {
  return `
  SELECT ${key}, day, sum(events) AS day_events, sum(revenue) AS day_revenue,
    sum(final_sum) + sum(sketch) AS day_visitors, greatest(max(final_max), sum(sketch)) AS day_floor
  FROM (
    SELECT ${key}, day, sumMerge(events) AS events, sumMerge(revenue) AS revenue,
      uniqCombinedMerge(visitors) AS sketch, toUInt64(0) AS final_sum, toUInt64(0) AS final_max
    FROM ${totals}
    WHERE ${IN_RANGE}
    GROUP BY ${key}, day
    UNION ALL
    SELECT ${key}, day, toUInt64(0) AS events, toFloat64(0) AS revenue, toUInt64(0) AS sketch,
      sumMerge(visitors_final) AS final_sum, max(finalizeAggregation(visitors_final)) AS final_max
    FROM ${detailed}
    WHERE ${IN_RANGE} AND day IN (
      SELECT day FROM ${totals}
      WHERE ${IN_RANGE} AND finalizeAggregation(visitors_final) > 0
    )
    GROUP BY ${key}, day
  )
  GROUP BY ${key}, day`
}

/**
 * Whether a read goes to the totals rollup: `from` is the table asked for (the tests ask for each),
 * `chosen` the one the query's filters pick. The totals know none of the filters, so asking them
 * for a filtered query is a mistake, not a fallback.
 */
export function readsTotals<Table extends string>(from: Table, chosen: Table, totals: Table): boolean {
  if (from !== chosen && from === totals) throw new Error(`${totals} cannot answer a filtered query`)
  return from === totals
}

/**
 * Lists are read whole, then thresholded and cut to `limit` in the API, so `suppressed` counts
 * every small group. This cap only bounds a pathological site; it keeps the largest groups.
 */
export const MAX_GROUPS = 50_000

export const money = (value: number): number => Math.round(Number(value) * 100) / 100

/**
 * The reco_* tables are snapshots: each insights run inserts a full set under one `computed_at`,
 * and a reader takes the site's latest. They are ReplacingMergeTrees, so two instances writing
 * one snapshot leave duplicates until a merge; readers say FINAL. Table names come only from the
 * constant set below.
 */
const SNAPSHOT_TABLES = Object.fromEntries(RECO_TABLES.map((table) => [table, table])) as Record<
  RecoTable,
  RecoTable
>
export const LATEST_SNAPSHOT = (table: RecoTable) =>
  `SELECT max(computed_at) FROM ${SNAPSHOT_TABLES[table]} WHERE site = {site:String}`

/**
 * A snapshot query for each release mode (the service's own; each mode has tables of its own,
 * `reco_*` and `reco_*_released` of migration 0041, so a snapshot of the other mode is never read), from a template given the table of that mode and, for a
 * noisy figure, its noise column (`0` in a k-threshold table, whose figures are exact). Tables and
 * columns come from the constants above and the callers' literals, never from input.
 */
export function perRelease(
  list: 'offers' | 'segments' | 'affinity',
  template: (table: RecoTable, sd: (column: string) => string) => string,
): Record<Release, string> {
  return {
    'k-threshold': template(`reco_${list}`, () => '0'),
    'differential-privacy': template(`reco_${list}_released`, (column) => column),
  }
}
/** Standard deviations as stored (0: an exact figure), rounded to a tenth as released figures are. */
export const sdOf = (value: unknown): number => Math.round(Number(value) * 10) / 10

/** `YYYY-MM-DD hh:mm:ss` (UTC, as ClickHouse prints a DateTime('UTC')) to ISO 8601. */
export const isoTime = (value: string): string => `${value.replace(' ', 'T')}Z`
