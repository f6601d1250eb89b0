import { describe, expect, it } from 'vitest'
import {
  ClusterDdlError,
  clusterStatements,
  replicaPath,
  statementsFor,
} from '../../warehouse/cluster-ddl.ts'
import {
  LEDGER_STATEMENTS,
  LEDGER_TABLE,
  LEDGER_VIEW,
  ledgerStatements,
} from '../../warehouse/insert-events.ts'
import { readMigrations, splitStatements } from '../../warehouse/migrate.ts'

const plain = { name: 'shop', replicated: false, database: 'tally' }
const replicated = { ...plain, replicated: true }

const all = (options: typeof plain) => readMigrations().flatMap((m) => statementsFor(m.statements, options))
const created = (statements: string[]) =>
  statements.map(
    (statement) => /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (\S+)/.exec(statement)?.[1],
  )

describe('cluster DDL', () => {
  it('leaves the migrations as they are without a cluster', () => {
    for (const migration of readMigrations()) {
      expect(statementsFor(migration.statements, undefined)).toEqual(migration.statements)
    }
  })

  it('makes every table a local table on each shard under a Distributed table of the same name', () => {
    const migrations = readMigrations()
    const tables = migrations
      .flatMap((m) => m.statements)
      .map((statement) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)?.[1])
      .filter((name): name is string => name !== undefined)
    const names = created(all(plain))
    for (const table of tables) {
      expect(names).toContain(`tally.${table}_local`)
      expect(names).toContain(`tally.${table}`)
      // The local table comes first: the Distributed one copies its columns.
      expect(names.indexOf(`tally.${table}_local`)).toBeLessThan(names.indexOf(`tally.${table}`))
    }
    for (const statement of all(plain))
      expect(statement).toMatch(/^(?:CREATE [A-Z ]+|ALTER TABLE) tally\.\w+ ON CLUSTER shop /)
  })

  it('adds a column to every shard’s local table and to the Distributed table over them', () => {
    expect(
      clusterStatements('ALTER TABLE events_in ADD COLUMN IF NOT EXISTS entry UInt8 DEFAULT 0', plain),
    ).toEqual([
      'ALTER TABLE tally.events_in_local ON CLUSTER shop ADD COLUMN IF NOT EXISTS entry UInt8 DEFAULT 0',
      'ALTER TABLE tally.events_in ON CLUSTER shop ADD COLUMN IF NOT EXISTS entry UInt8 DEFAULT 0',
    ])
  })

  it('shards events by visitor and day, and views write the local rollups from the local events', () => {
    const [events] = readMigrations().filter((m) => m.name === '0002_events_in')
    const statements = statementsFor(events?.statements ?? [], plain)
    expect(statements).toHaveLength(2)
    expect(statements[0]).toMatch(
      /^CREATE TABLE IF NOT EXISTS tally\.events_in_local ON CLUSTER shop \(\n {2}hour/,
    )
    expect(statements[0]).toMatch(/\) ENGINE = Null$/)
    expect(statements[1]).toBe(
      'CREATE TABLE IF NOT EXISTS tally.events_in ON CLUSTER shop AS tally.events_in_local\nENGINE = Distributed(shop, tally, events_in_local, cityHash64(site, toDate(hour), visitor))',
    )
    const views = all(plain).filter((statement) => statement.startsWith('CREATE MATERIALIZED VIEW'))
    const sourceViews = readMigrations()
      .flatMap((m) => m.statements)
      .filter((statement) => statement.startsWith('CREATE MATERIALIZED VIEW'))
    expect(views.length).toBe(sourceViews.length)
    expect(views.length).toBeGreaterThan(10)
    for (const view of views) {
      expect(view).toMatch(/ TO tally\.\w+_local AS\n/)
      expect(view).toContain('FROM tally.events_in_local')
      expect(view).not.toMatch(/FROM events_in\b/)
    }
  })

  it('gives every replicated table its own keeper path, with shard and replica macros', () => {
    const statements = all(replicated)
    const paths = statements.flatMap((statement) => {
      const match = /ENGINE = (Replicated\w+)\('([^']+)', '\{replica\}'/.exec(statement)
      return match ? [{ engine: match[1], path: match[2] }] : []
    })
    const locals = created(statements).filter((name) => name?.endsWith('_local'))
    // Every stored local table is replicated (events_in_local stores nothing and stays Null).
    expect(paths.length).toBe(locals.length - 1)
    expect(new Set(paths.map((p) => p.path)).size).toBe(paths.length)
    for (const { path } of paths) expect(path).toMatch(/^\/clickhouse\/tables\/\{shard\}\/tally\/\w+_local$/)
    expect(statements.join('\n')).toContain(
      "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/tally/traffic_daily_local', '{replica}')",
    )
    expect(statements.join('\n')).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tally/reco_offers_local', '{replica}')",
    )
    // Another database on the same keeper gets other paths.
    expect(replicaPath('tally_eu', 'salts_local')).not.toBe(replicaPath('tally', 'salts_local'))
  })

  it('keeps an engine argument after the replication arguments', () => {
    const [statement] = splitStatements(
      'CREATE TABLE IF NOT EXISTS totals (k String, n UInt64) ENGINE = SummingMergeTree(n) ORDER BY k;',
    )
    expect(clusterStatements(statement ?? '', replicated)[0]).toContain(
      "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/tally/totals_local', '{replica}', n) ORDER BY k",
    )
    expect(clusterStatements(statement ?? '', plain)[0]).toContain('ENGINE = SummingMergeTree(n) ORDER BY k')
  })

  it('distributes the write ledger made at start, without its view: the collector records batches', () => {
    expect(ledgerStatements(false)).toEqual(LEDGER_STATEMENTS)
    const statements = statementsFor(ledgerStatements(true), plain)
    expect(created(statements)).toEqual([`tally.${LEDGER_TABLE}_local`, `tally.${LEDGER_TABLE}`])
    expect(statements.join('\n')).not.toContain(LEDGER_VIEW)
    expect(statements[1]).toContain(`Distributed(shop, tally, ${LEDGER_TABLE}_local, cityHash64(batch_id))`)
  })

  it("fills a table created from another one per shard, from the shard's own rows", () => {
    const [statement] = splitStatements(`CREATE TABLE IF NOT EXISTS day_totals
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day)
AS SELECT site, day, sumMergeState(events) AS events
FROM traffic_daily
GROUP BY site, day;`)
    const [local, global] = clusterStatements(statement ?? '', replicated)
    expect(
      local,
    ).toBe(`CREATE TABLE IF NOT EXISTS tally.day_totals_local ON CLUSTER shop ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/tally/day_totals_local', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site, day)
AS SELECT site, day, sumMergeState(events) AS events
FROM tally.traffic_daily_local
GROUP BY site, day`)
    expect(global).toBe(
      'CREATE TABLE IF NOT EXISTS tally.day_totals ON CLUSTER shop AS tally.day_totals_local\nENGINE = Distributed(shop, tally, day_totals_local)',
    )
  })

  it('refuses what it cannot distribute, and names that are not identifiers', () => {
    expect(() => clusterStatements('ALTER TABLE salts DROP PARTITION 20261120', plain)).toThrow(
      ClusterDdlError,
    )
    expect(() => clusterStatements('CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Log', plain)).toThrow(
      /ENGINE = Log/,
    )
    expect(() =>
      clusterStatements('CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Null', { ...plain, name: "x') --" }),
    ).toThrow(/cluster/)
    expect(() =>
      clusterStatements('CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Null', {
        ...plain,
        database: 'a.b',
      }),
    ).toThrow(/database/)
  })
})
