import type { GroupingName, Measurement } from './measure.ts'

/**
 * The exact query of one grouping set of one measurement for one period: the only reads of the
 * rollups outside the maintenance jobs (finalize, retention, audit). A measure kept in a rollup of
 * its own (`Measure.table`) is read there and joined to the measurement's cells. Built from the constants of
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
  const joined = [...new Set(entry.measures.flatMap((measure) => measure.table ?? []))]
  for (const name of [entry.table, ...joined, ...entry.keys, grouping].filter(Boolean)) {
    if (!IDENTIFIER.test(name)) throw new Error(`${entry.id}: ${name} is not a plain identifier`)
  }
  if (entry.keys.length > 3) throw new Error(`${entry.id}: at most three key columns`)
  if (joined.length > 1) throw new Error(`${entry.id}: at most one joined rollup`)
  for (const measure of entry.measures) {
    if (!IDENTIFIER.test(measure.name)) throw new Error(`${entry.id}: measure ${measure.name}`)
  }
  const own = cellsOf(entry, grouping, entry.table, entry.where, (measure) => measure.table === undefined)
  const [other] = joined
  if (!other) return own
  // A measure kept in another rollup with the same key and filter columns: its cells are joined to
  // the measurement's own, so only cells the measurement has (and its visitors release) carry it;
  // a cell the other rollup lacks reads 0.
  const names = entry.measures.map((measure) => `m_${measure.name}`)
  return `SELECT grouping_value, k1, k2, k3, ${names.join(', ')}
FROM (${own}) AS own
ANY LEFT JOIN (${cellsOf(entry, grouping, other, '', (measure) => measure.table === other)}) AS joined
USING (grouping_value, k1, k2, k3)`
}

/** The cells of one rollup: the grouping value, the keys and the measures `pick` chooses. */
function cellsOf(
  entry: Measurement,
  grouping: GroupingName,
  table: string,
  where: string,
  pick: (measure: Measurement['measures'][number]) => boolean,
): string {
  const keys = [0, 1, 2].map((index) => {
    const column = entry.keys[index]
    return `${column ?? "''"} AS k${index + 1}`
  })
  const measures = entry.measures.filter(pick).map((measure) => `${measure.sql} AS m_${measure.name}`)
  return `SELECT ${grouping || "''"} AS grouping_value, ${keys.join(', ')}, ${measures.join(', ')}
FROM ${table}
WHERE site = {site:String} AND ${PERIOD[entry.grain]}${where ? ` AND (${where})` : ''}
GROUP BY grouping_value, k1, k2, k3`
}
