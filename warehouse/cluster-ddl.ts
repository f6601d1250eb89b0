import type { ClusterConfig } from '../schemas/config.ts'

/**
 * Turns the single-server DDL of the migrations into DDL for a ClickHouse cluster, so that one set
 * of migration files serves both. A pure function of the statement text and the cluster options.
 *
 * The scheme, for a table `<name>` in the migrations:
 * - `<db>.<name>_local` is created `ON CLUSTER` on every shard with the migration's own columns and
 *   engine (a `Null` table stays `Null`; a `*MergeTree` becomes `Replicated*MergeTree` with the
 *   keeper path `/clickhouse/tables/{shard}/<db>/<name>_local` and replica `{replica}` when the
 *   cluster is replicated). Database and table are both in the path, so no two tables share one.
 * - `<db>.<name>` becomes a `Distributed` table over the `_local` tables, created `ON CLUSTER` too,
 *   so that every node can take reads and writes. It keeps the public name: the collector, the
 *   jobs and the dashboard's queries read and write the same names on one server and on a cluster.
 * - A materialized view reads the `_local` table of its source and writes the `_local` table of
 *   its target, on each shard: rows are aggregated where they land.
 *
 * Names are qualified with the database, because an `ON CLUSTER` statement runs on the other
 * nodes in their default database. Everything written into the statements is either migration
 * text or an identifier checked against IDENTIFIER here (the config checks the same).
 */

export type ClusterDdlOptions = ClusterConfig & { readonly database: string }

export const LOCAL_SUFFIX = '_local'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/**
 * Which shard a row written through a Distributed table goes to, for the tables Tally inserts
 * into. Rollups have none: only their views write them, on the shard the event landed on, and an
 * insert through their Distributed table fails loudly instead of spreading a group over shards.
 */
export const SHARDING_KEYS: Readonly<Record<string, string>> = {
  // One visitor-day on one shard: the visitor hash is salted per day, so a day's unique visitors
  // are disjoint between shards and per-shard counts (finalized sketches included) add up exactly.
  events_in: 'cityHash64(site, toDate(hour), visitor)',
  // A day's competing salts sit side by side on one shard.
  salts: 'toYYYYMMDD(day)',
  // Two instances recording one version write the same shard, where ReplacingMergeTree folds them.
  schema_migrations: 'version',
  // The collector records each batch itself on a cluster (warehouse/insert-events.ts).
  write_ledger: 'cityHash64(batch_id)',
  // A site's snapshot on one shard, so `FINAL` there folds its repeated rows.
  reco_affinity: 'cityHash64(site)',
  reco_offers: 'cityHash64(site)',
  reco_segments: 'cityHash64(site)',
  reco_held_back: 'cityHash64(site)',
  reco_affinity_released: 'cityHash64(site)',
  reco_offers_released: 'cityHash64(site)',
  reco_segments_released: 'cityHash64(site)',
  // A period's claims side by side, and a period's released cells on one shard, so that `FINAL`
  // there folds a retried or raced publication into one value per cell.
  released: 'cityHash64(site, day)',
  release_ledger: 'cityHash64(site, day)',
  // A day's exact cells on one shard, so that `FINAL` there folds a raced publication's copy.
  exact_cells: 'cityHash64(site, day)',
}

export class ClusterDdlError extends Error {
  override name = 'ClusterDdlError'
}

const identifier = (value: string, what: string): string => {
  if (!IDENTIFIER.test(value)) throw new ClusterDdlError(`${what} "${value}" is not a plain identifier`)
  return value
}

/** The keeper path of a replicated table: distinct per database, table and shard. */
export const replicaPath = (database: string, table: string): string =>
  `/clickhouse/tables/{shard}/${identifier(database, 'database')}/${identifier(table, 'table')}`

const CREATE_TABLE =
  /^CREATE TABLE IF NOT EXISTS (\w+)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w+)(?:\(([^)]*)\))?([\s\S]*)$/
// A table created from another's rows: `CREATE TABLE IF NOT EXISTS t ENGINE = ... AS SELECT ...`.
const CREATE_TABLE_AS_SELECT =
  /^CREATE TABLE IF NOT EXISTS (\w+)\s+ENGINE\s*=\s*(\w+)(?:\(([^)]*)\))?([\s\S]*?)\bAS\s+(SELECT\b[\s\S]*)$/
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s+([\s\S]*)$/
// `ALTER TABLE t ADD COLUMN IF NOT EXISTS c Type DEFAULT v`; the migration runner makes it idempotent
// on versions without `IF NOT EXISTS` (warehouse/add-column.ts).
const ADD_COLUMN = /^ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS ([\s\S]+)$/
// The one table a view reads. Views here read a single table and join nothing.
const FROM = /\bFROM\s+(\w+)\b/g

/**
 * The statements that do on a cluster what `statement` does on one server. Throws for a statement
 * it does not know how to distribute, so a migration that needs new handling stops loudly.
 */
export function clusterStatements(statement: string, options: ClusterDdlOptions): string[] {
  const db = identifier(options.database, 'database')
  const cluster = identifier(options.name, 'cluster')
  const text = statement.trim()

  const table = CREATE_TABLE.exec(text)
  if (table) {
    const [, name = '', columns = '', engine = '', args = '', rest = ''] = table
    const { local, engine: localEngine } = localTable(name, engine, args, db, options.replicated)
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${local} ON CLUSTER ${cluster} (${columns}) ENGINE = ${localEngine}${rest}`,
      distributed(db, cluster, name, local),
    ]
  }

  // Each shard fills its local table from its own rows of the source: the rows of a group are on
  // one shard (events are sharded by visitor-day), so per-shard aggregates are the whole answer.
  const filled = CREATE_TABLE_AS_SELECT.exec(text)
  if (filled) {
    const [, name = '', engine = '', args = '', rest = '', select = ''] = filled
    const { local, engine: localEngine } = localTable(name, engine, args, db, options.replicated)
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${local} ON CLUSTER ${cluster} ENGINE = ${localEngine}${rest}AS ${localSources(select, db)}`,
      distributed(db, cluster, name, local),
    ]
  }

  const view = CREATE_VIEW.exec(text)
  if (view) {
    const [, name = '', target = '', select = ''] = view
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${identifier(name, 'view')} ON CLUSTER ${cluster} TO ${db}.${identifier(target, 'table')}${LOCAL_SUFFIX} AS\n${localSources(select, db)}`,
    ]
  }

  // A column added to a table: to every shard's local table and to the Distributed one over them.
  const column = ADD_COLUMN.exec(text)
  if (column) {
    const [, name = '', rest = ''] = column
    const table = identifier(name, 'table')
    return [
      `ALTER TABLE ${db}.${table}${LOCAL_SUFFIX} ON CLUSTER ${cluster} ADD COLUMN IF NOT EXISTS ${rest}`,
      `ALTER TABLE ${db}.${table} ON CLUSTER ${cluster} ADD COLUMN IF NOT EXISTS ${rest}`,
    ]
  }

  throw new ClusterDdlError(
    `cannot run on a cluster: "${text.slice(0, 60)}"; the migrations may only CREATE TABLE IF NOT EXISTS (... or AS SELECT), CREATE MATERIALIZED VIEW IF NOT EXISTS ... TO or ALTER TABLE ... ADD COLUMN IF NOT EXISTS`,
  )
}

/** A SELECT reading the shard's own `_local` tables instead of the cluster-wide ones. */
const localSources = (select: string, db: string): string =>
  select.replace(FROM, (_, source: string) => `FROM ${db}.${identifier(source, 'table')}${LOCAL_SUFFIX}`)

/** The Distributed table that keeps the public name, over every shard's `_local` table. */
function distributed(db: string, cluster: string, name: string, local: string): string {
  const key = SHARDING_KEYS[name]
  return `CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} AS ${db}.${local}\nENGINE = Distributed(${cluster}, ${db}, ${local}${key ? `, ${key}` : ''})`
}

/** A table's name and engine clause on each shard: `<name>_local`, replicated when asked. */
function localTable(name: string, engine: string, args: string, db: string, replicated: boolean) {
  const local = `${identifier(name, 'table')}${LOCAL_SUFFIX}`
  return { local, engine: localEngineClause(engine, args, replicated ? replicaPath(db, local) : undefined) }
}

function localEngineClause(engine: string, args: string, path: string | undefined): string {
  if (engine === 'Null') return 'Null'
  if (!/^\w*MergeTree$/.test(engine) || engine.startsWith('Replicated')) {
    throw new ClusterDdlError(`cannot distribute a table with ENGINE = ${engine}`)
  }
  if (!path) return `${engine}(${args})`
  const replicated = [`'${path}'`, `'{replica}'`, ...(args.trim() ? [args.trim()] : [])]
  return `Replicated${engine}(${replicated.join(', ')})`
}

/** All of a migration's statements, distributed; the same list back when there is no cluster. */
export function statementsFor(
  statements: readonly string[],
  options: ClusterDdlOptions | undefined,
): string[] {
  return options ? statements.flatMap((statement) => clusterStatements(statement, options)) : [...statements]
}
