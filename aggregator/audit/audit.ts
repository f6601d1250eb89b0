import type { Warehouse } from '../../warehouse/client.ts'
import { storedName } from '../../warehouse/cluster-tables.ts'
import { dayOffset, requireQueryParameters, select, utcSeconds } from '../sql.ts'
import {
  checkOldSketches,
  checkRowsTrackEvents,
  checkSaltCache,
  checkSalts,
  checkTimeGrain,
  checkUnderK,
  checkValues,
  isSafeName,
  type Table,
  type Violation,
} from './checks.ts'
import { checkExactCells, checkReleases } from './release-checks.ts'

/**
 * The privacy audit: inspects the warehouse itself, not the code that writes to it, and reports
 * whatever would break the privacy promise: identifiers in stored strings, per-event rows or
 * times, visitor sketches or salts kept past their day, released rows under k. It only reads.
 */

export type AuditOptions = {
  kAnon: number
  sampleSize?: number
  /** Where the warehouse is, as a person reads it (warehouse/client.ts describeWarehouse). */
  target?: string
  /** The collector's salt cache (`<DATA_DIR>/salts`), checked like the `salts` table. */
  saltCacheDir?: string
}

export type AuditReport = {
  at: string
  /** The warehouse inspected: where it lives and its database. */
  target: string
  database: string
  version: string
  tables: string[]
  columns: number
  /** Distinct string values read and scanned for identifiers. */
  values: number
  violations: Violation[]
}

export const DEFAULT_SAMPLE_SIZE = 10_000

// Engines that hold no rows of their own.
const STORES_NOTHING = new Set(['Null', 'View', 'MaterializedView', 'LiveView', 'WindowView'])

const TABLES = 'SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name'
const COLUMNS =
  'SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, position'

export async function auditWarehouse(
  warehouse: Warehouse,
  now: Date,
  options: AuditOptions,
): Promise<AuditReport> {
  await requireQueryParameters(warehouse)
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE
  const catalogue = await select<{ name: string; engine: string }>(warehouse, TABLES)
  const columns = await select<{ table: string; name: string; type: string }>(warehouse, COLUMNS)
  const tables: Table[] = inspected(warehouse, catalogue)
    .filter((table) => !STORES_NOTHING.has(table.engine))
    .map((table) => ({
      ...table,
      columns: columns
        .filter((column) => column.table === table.name)
        .map(({ name, type }) => ({ name, type })),
    }))

  const violations: Violation[] = []
  let values = 0
  const allEvents = await totalEvents(warehouse, tables)
  for (const table of tables) {
    const unsafe = [table.name, ...table.columns.map((column) => column.name)].filter(
      (name) => !isSafeName(name),
    )
    if (unsafe.length > 0) {
      violations.push({
        rule: 'not-inspected',
        table: table.name,
        detail: `names the audit will not put into a query: ${unsafe.map((name) => JSON.stringify(name)).join(', ')}`,
      })
      continue
    }
    const scanned = await checkValues(warehouse, table, sampleSize)
    values += scanned.values
    violations.push(
      ...scanned.violations,
      ...(await checkTimeGrain(warehouse, table)),
      ...(await checkRowsTrackEvents(warehouse, table, allEvents)),
      ...(await checkOldSketches(warehouse, table, dayOffset(now, -2))),
      ...(await checkUnderK(warehouse, table, options.kAnon)),
    )
  }
  if (tables.some((table) => table.name === 'salts'))
    violations.push(...(await checkSalts(warehouse, dayOffset(now, -1))))
  if (tables.some((table) => table.name === 'release_ledger') && tables.some((t) => t.name === 'released'))
    violations.push(...(await checkReleases(warehouse, options.kAnon)))
  if (tables.some((table) => table.name === 'exact_cells'))
    violations.push(...(await checkExactCells(warehouse, dayOffset(now, -2))))
  if (options.saltCacheDir) violations.push(...checkSaltCache(options.saltCacheDir, dayOffset(now, -1)))

  return {
    at: utcSeconds(now),
    target: options.target ?? `${warehouse.kind} warehouse, database ${warehouse.database}`,
    database: warehouse.database,
    version: await warehouse.version(),
    tables: tables.map((table) => table.name),
    columns: tables.reduce((sum, table) => sum + table.columns.length, 0),
    values,
    violations,
  }
}

/**
 * On a cluster, each Distributed table stands for its shards' local tables: it reads all of them,
 * where this node's local table holds one shard's rows. It is inspected under the local engine,
 * so that the checks that depend on the engine (FINAL for collapsing ones) treat it as such.
 */
function inspected(
  warehouse: Warehouse,
  catalogue: ReadonlyArray<{ name: string; engine: string }>,
): Array<{ name: string; engine: string }> {
  if (!warehouse.cluster) return [...catalogue]
  const engines = new Map(catalogue.map((table) => [table.name, table.engine]))
  return catalogue
    .filter((table) => table.engine === 'Distributed')
    .map((table) => ({ name: table.name, engine: engines.get(storedName(warehouse, table.name)) ?? 'Null' }))
}

/** All events the warehouse has folded in, for tables that do not say how many they hold. */
async function totalEvents(warehouse: Warehouse, tables: readonly Table[]): Promise<number> {
  if (!tables.some((table) => table.name === 'traffic_hourly')) return 0
  const [row] = await select<{ n: number }>(warehouse, 'SELECT sumMerge(events) AS n FROM traffic_hourly')
  return Number(row?.n ?? 0)
}

// Tables every Tally warehouse has from its first migration on.
const TALLY_TABLES = new Set(['schema_migrations', 'salts', 'traffic_hourly'])

/** Whether the audit saw a Tally warehouse at all, rather than an empty or a foreign database. */
export function hasTallyTables(report: AuditReport): boolean {
  return report.tables.some((table) => TALLY_TABLES.has(table))
}
