import type { GroupingName, Measurement } from './measurements.ts'

/**
 * The exact query of one grouping set of one measurement for one period: the only reads of the
 * rollups outside the maintenance jobs (finalize, retention, audit). Built from the constants of
 * the measurement list only; the site and the period are `{name:Type}` parameters. A day's
 * `visitors` is `uniqCombinedMerge` over every stored row of the cell, so it counts each visitor of
 * the cell once however many sources, devices or countries they came through: a true distinct
 * count, while the day's sketches exist. Measures come back as `m_<name>` (an alias equal to a
 * column name would shadow the column inside the aggregate).
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** The period a grain selects: a day of a daily rollup, or an hour of `traffic_hourly`. */
const PERIOD = {
  day: 'day = {day:Date}',
  hour: "hour = {hour:DateTime('UTC')}",
} as const

export function exactSql(entry: Measurement, grouping: GroupingName): string {
  for (const name of [entry.table, ...entry.keys, grouping].filter(Boolean)) {
    if (!IDENTIFIER.test(name)) throw new Error(`${entry.id}: ${name} is not a plain identifier`)
  }
  if (entry.keys.length > 3) throw new Error(`${entry.id}: at most three key columns`)
  const keys = [0, 1, 2].map((index) => {
    const column = entry.keys[index]
    return `${column ?? "''"} AS k${index + 1}`
  })
  const measures = entry.measures.map((measure) => {
    if (!IDENTIFIER.test(measure.name)) throw new Error(`${entry.id}: measure ${measure.name}`)
    return `${measure.sql} AS m_${measure.name}`
  })
  return `SELECT ${grouping || "''"} AS grouping_value, ${keys.join(', ')}, ${measures.join(', ')}
FROM ${entry.table}
WHERE site = {site:String} AND ${PERIOD[entry.grain]}${entry.where ? ` AND (${entry.where})` : ''}
GROUP BY grouping_value, k1, k2, k3`
}
