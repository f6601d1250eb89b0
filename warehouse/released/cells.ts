import type { Warehouse } from '../client.ts'

/**
 * The read of released figures: the cells of one measurement, one grouping set and one grain
 * over a range of days, exactly as the publish job wrote them (noised once, thresholded). Any
 * figure built from these is post-processing of released data, so asking again, re-slicing or
 * overlapping ranges costs no privacy (docs/privacy.md). Reads `released` only, with FINAL so that
 * a retried or raced publication shows one value per cell.
 */

export type ReleasedCell = {
  /** The cell's period: its UTC day (a week's Monday, a month's 1st) and, for hourly cells, its hour. */
  day: string
  slot: number
  k1: string
  k2: string
  k3: string
  measure: string
  value: number
  stddev: number
}

export type ReleasedQuery = {
  site: string
  measurement: string
  grain: 'day' | 'hour' | 'week' | 'month'
  /** Periods whose first day lies in `from`..`to`. */
  from: string
  to: string
  /** '' (no filter) or the filter the figures are narrowed by, with its value. */
  grouping: string
  groupingValue: string
}

// `period`, not `day`: an alias named like the column would replace it in the WHERE clause.
const SQL = `
SELECT toString(day) AS period, slot, k1, k2, k3, measure, value, stddev
FROM released FINAL
WHERE site = {site:String} AND measurement = {measurement:String} AND grain = {grain:String}
  AND day BETWEEN {from:Date} AND {to:Date}
  AND grouping = {grouping:String} AND grouping_value = {grouping_value:String}
ORDER BY period, slot, k1, k2, k3, measure
LIMIT 1000000`

export async function getReleased(warehouse: Warehouse, query: ReleasedQuery): Promise<ReleasedCell[]> {
  const result = await warehouse.client.query({
    query: SQL,
    query_params: {
      site: query.site,
      measurement: query.measurement,
      grain: query.grain,
      from: query.from,
      to: query.to,
      grouping: query.grouping,
      grouping_value: query.groupingValue,
    },
    format: 'JSONEachRow',
  })
  const rows = await result.json<Omit<ReleasedCell, 'day'> & { period: string }>()
  return rows.map(({ period, ...row }) => ({
    ...row,
    day: period,
    slot: Number(row.slot),
    value: Number(row.value),
    stddev: Number(row.stddev),
  }))
}

const SITES = `
SELECT DISTINCT site FROM released
WHERE measurement = {measurement:String} AND day BETWEEN {from:Date} AND {to:Date}
ORDER BY site`

/** The sites with released cells of `measurement` in a period starting in `from`..`to`. */
export async function releasedSites(
  warehouse: Warehouse,
  query: { measurement: string; from: string; to: string },
): Promise<string[]> {
  const result = await warehouse.client.query({ query: SITES, query_params: query, format: 'JSONEachRow' })
  return (await result.json<{ site: string }>()).map((row) => row.site)
}
