import { RECO_TABLES } from '../../schemas/constants.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { createSaltCache } from '../../warehouse/salt-cache.ts'
import { ROLLUPS } from '../rollups.ts'
import { select } from '../sql.ts'
import { type Finding, findIdentifiers, redact } from './detectors.ts'

/**
 * The privacy audit's rules, each over what the warehouse's catalogue says is there. Table and
 * column names here come from `system.tables` / `system.columns`, not from a list in code: the
 * audit exists to find what the code does not know about. So each name is checked to be a plain
 * identifier (letters, digits, `_`, `.`, `-`; never a backtick) and quoted before it is written
 * into a statement; values always go in as parameters.
 */

export type Rule =
  | 'identifier-value'
  | 'identifier-column'
  | 'finer-than-hour'
  | 'rows-track-events'
  | 'old-sketch'
  | 'old-salt'
  | 'under-k'
  | 'not-inspected'
  | 'unnoised-release'
  | 'old-exact-cells'
  | 'unclaimed-release'

export type Violation = { rule: Rule; table: string; column?: string; detail: string }

export type Column = { name: string; type: string }
export type Table = { name: string; engine: string; columns: Column[] }

const SAFE_NAME = /^[A-Za-z0-9_.-]{1,128}$/
export const isSafeName = (name: string): boolean => SAFE_NAME.test(name)
export const quote = (name: string): string => {
  if (!isSafeName(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`)
  return `\`${name}\``
}

/** Secrets and bookkeeping that are hex by design, not visitor data. */
const NOT_VISITOR_STRINGS = new Set(['salts.salt', 'schema_migrations.checksum'])
/** When the service did something (created a salt, applied a migration, computed a snapshot). */
const SERVICE_TIMES = new Set([
  'salts.created_at',
  'schema_migrations.applied_at',
  ...RECO_TABLES.map((table) => `${table}.computed_at`),
  // When a publication was claimed: a time of the service, not of any event.
  'release_ledger.claimed_at',
])
/** Tables whose rows count days, migrations or snapshot rows, not events. */
export const NOT_EVENT_TABLES = new Set([
  'salts',
  // Released cells: one row per cell, measure and period (every hour of the day is published,
  // events or not), thresholded and noised; their count follows the periods, not the events.
  'released',
  'release_ledger',
  // Exact cells per day, measurement and measure, kept for the coarser grains: aggregates whose
  // count follows the cells of the lists, not the events (checked by age, release-checks.ts).
  'exact_cells',
  'schema_migrations',
  ...RECO_TABLES,
])
const IDENTIFYING_COLUMN =
  /^(ip|ip_?address|client_?ip|remote_?addr|user_?agent|ua|e_?mail|phone|user_?id|customer_?id|account_?id|session_?id|cookie)$/i

const TRACKING_SHARE = 0.5
const MIN_EVENTS = 1000

const rowsOf = (n: number) => `${n} row${n === 1 ? '' : 's'}`

const count = async (warehouse: Warehouse, query: string, params?: Record<string, unknown>) =>
  Number((await select<{ n: number }>(warehouse, query, params))[0]?.n ?? 0)

/** Identifying column names, and identifiers in a sample of every string-holding column. */
export async function checkValues(
  warehouse: Warehouse,
  table: Table,
  sampleSize: number,
): Promise<{ violations: Violation[]; values: number }> {
  const violations: Violation[] = []
  let values = 0
  for (const column of table.columns) {
    if (IDENTIFYING_COLUMN.test(column.name)) {
      violations.push({
        rule: 'identifier-column',
        table: table.name,
        column: column.name,
        detail: 'a column named like a personal identifier',
      })
    }
    if (!column.type.includes('String') || column.type.startsWith('AggregateFunction')) continue
    if (NOT_VISITOR_STRINGS.has(`${table.name}.${column.name}`)) continue
    // toString renders arrays, maps and tuples as text too, so nested strings are scanned as well.
    const sample = await select<{ value: string | null }>(
      warehouse,
      `SELECT DISTINCT toString(${quote(column.name)}) AS value FROM ${quote(table.name)} LIMIT {limit:UInt32}`,
      { limit: sampleSize },
    )
    values += sample.length
    const found = new Map<Finding, { count: number; example: string }>()
    for (const { value } of sample) {
      if (!value) continue
      for (const kind of findIdentifiers(value)) {
        const seen = found.get(kind) ?? { count: 0, example: redact(value) }
        seen.count++
        found.set(kind, seen)
      }
    }
    for (const [kind, { count: n, example }] of found) {
      violations.push({
        rule: 'identifier-value',
        table: table.name,
        column: column.name,
        detail: `${n} value${n === 1 ? '' : 's'} that look${n === 1 ? 's' : ''} like ${LABEL[kind]} (shape: ${example})`,
      })
    }
  }
  return { violations, values }
}

const LABEL: Record<Finding, string> = {
  email: 'an e-mail address',
  card: 'a payment card number',
  phone: 'a phone number',
  ip: 'an IP address',
  credential: 'a credential',
  mac: 'a MAC address',
}

/** Event times are kept to the hour; any finer value is a per-event timestamp. */
export async function checkTimeGrain(warehouse: Warehouse, table: Table): Promise<Violation[]> {
  const violations: Violation[] = []
  for (const column of table.columns) {
    if (!/^(Nullable\()?DateTime/.test(column.type)) continue
    if (SERVICE_TIMES.has(`${table.name}.${column.name}`)) continue
    const name = quote(column.name)
    const n = await count(
      warehouse,
      `SELECT count() AS n FROM ${quote(table.name)} WHERE toStartOfHour(${name}) != ${name}`,
    )
    if (n > 0) {
      violations.push({
        rule: 'finer-than-hour',
        table: table.name,
        column: column.name,
        detail: `${rowsOf(n)} with a time finer than the hour`,
      })
    }
  }
  return violations
}

/** A table with about one row per event stores events, whatever its name. */
export async function checkRowsTrackEvents(
  warehouse: Warehouse,
  table: Table,
  allEvents: number,
): Promise<Violation[]> {
  if (NOT_EVENT_TABLES.has(table.name)) return []
  const known = ROLLUPS.find((rollup) => rollup.table === table.name)
  // Both expressions are constants in code (ROLLUPS), the table name is checked and quoted.
  const events = known ? await count(warehouse, `SELECT ${known.events} AS n FROM ${known.table}`) : allEvents
  if (events <= MIN_EVENTS) return []
  // Rows not yet merged in the background would count twice; FINAL counts groups.
  const collapses = /MergeTree$/.test(table.engine) && !/^(Replicated)?MergeTree$/.test(table.engine)
  const rows = await count(
    warehouse,
    `SELECT count() AS n FROM ${quote(table.name)}${collapses ? ' FINAL' : ''}`,
  )
  if (rows < TRACKING_SHARE * events) return []
  return [
    {
      rule: 'rows-track-events',
      table: table.name,
      detail: `${rowsOf(rows)} for ${events} events: rows that track events, not aggregates`,
    },
  ]
}

/** No visitor sketch may outlive its salt by more than a day (finalize-sketches runs daily). */
export async function checkOldSketches(
  warehouse: Warehouse,
  table: Table,
  cutoff: string,
): Promise<Violation[]> {
  const sketches = table.columns.filter((column) => column.type.startsWith('AggregateFunction(uniq'))
  if (sketches.length === 0) return []
  const time =
    table.columns.find((column) => column.name === 'day') ?? table.columns.find((c) => c.name === 'hour')
  if (!time) {
    return [
      { rule: 'old-sketch', table: table.name, detail: 'visitor sketches with no day to tell their age by' },
    ]
  }
  const violations: Violation[] = []
  for (const sketch of sketches) {
    const n = await count(
      warehouse,
      `SELECT count() AS n FROM ${quote(table.name)}
       WHERE toDate(${quote(time.name)}) < {cutoff:Date} AND finalizeAggregation(${quote(sketch.name)}) > 0`,
      { cutoff },
    )
    if (n > 0) {
      violations.push({
        rule: 'old-sketch',
        table: table.name,
        column: sketch.name,
        detail: `${rowsOf(n)} with a visitor sketch of a day before ${cutoff}`,
      })
    }
  }
  return violations
}

/**
 * Salts a collector cached on disk to hash through a warehouse outage (warehouse/salt-cache.ts):
 * like the warehouse's, none may be of a day before yesterday.
 */
export function checkSaltCache(dir: string, yesterday: string): Violation[] {
  const old = createSaltCache(dir)
    .days()
    .filter((day) => day < yesterday)
  if (old.length === 0) return []
  return [
    {
      rule: 'old-salt',
      table: dir,
      detail: `cached salts of ${old.join(', ')} still exist on disk (only yesterday's, today's and tomorrow's may)`,
    },
  ]
}

export async function checkSalts(warehouse: Warehouse, yesterday: string): Promise<Violation[]> {
  // Aliased apart from `day`: an alias named like the column would replace it in WHERE.
  const days = await select<{ salt_day: string }>(
    warehouse,
    'SELECT DISTINCT toString(day) AS salt_day FROM salts WHERE day < {yesterday:Date} ORDER BY salt_day',
    { yesterday },
  )
  if (days.length === 0) return []
  return [
    {
      rule: 'old-salt',
      table: 'salts',
      detail: `salts of ${days.map((row) => row.salt_day).join(', ')} still exist (only today's and yesterday's may)`,
    },
  ]
}

/** The reco tables are read directly by other services, so every row must already be releasable. */
export async function checkUnderK(warehouse: Warehouse, table: Table, kAnon: number): Promise<Violation[]> {
  if (!table.name.startsWith('reco_') || !table.columns.some((column) => column.name === 'visitors'))
    return []
  const n = await count(
    warehouse,
    `SELECT count() AS n FROM ${quote(table.name)} WHERE visitors < {k:UInt64}`,
    {
      k: kAnon,
    },
  )
  return n > 0
    ? [{ rule: 'under-k', table: table.name, detail: `${rowsOf(n)} with fewer than ${kAnon} visitors` }]
    : []
}
