import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { addColumn, isAddColumn } from './add-column.ts'
import type { Warehouse } from './client.ts'
import { statementsFor } from './cluster-ddl.ts'
import { clusterDdl, nodesDiffer } from './cluster-tables.ts'

/**
 * Versioned migrations: plain `.sql` files named `NNNN_name.sql` in `schemas/migrations/`,
 * applied in order at start and recorded in `schema_migrations`. Every statement is written
 * to be idempotent (`IF NOT EXISTS`), so a migration interrupted half way, or applied by two
 * instances at once, converges when it runs again.
 *
 * On a cluster (`CLICKHOUSE_CLUSTER`) the same files are rewritten by `warehouse/cluster-ddl.ts`
 * into `ON CLUSTER` statements; `schema_migrations` itself is then a Distributed table sharded by
 * version, so every instance on every node reads one record, and two instances that apply a
 * version at once write its two rows to the same shard, where ReplacingMergeTree folds them.
 * Checksums are of the files, so a single server and a cluster agree on what was applied.
 * A node added to the cluster later has none of the tables: when the nodes hold different numbers
 * of tables, every migration's statements run again (`IF NOT EXISTS` makes that a no-op where
 * they exist), which is how a new shard gets its schema.
 */

export const MIGRATIONS_DIR = new URL('../schemas/migrations/', import.meta.url).pathname

export type Migration = { version: number; name: string; checksum: string; statements: string[] }

export type MigrationReport = { applied: string[]; current: number }

export class MigrationError extends Error {
  override name = 'MigrationError'
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8')
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
        statements: splitStatements(sql),
      }
    })
}

/** Splits a migration on semicolons that end a line; `--` comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter(Boolean)
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree() ORDER BY version`

export async function appliedMigrations(
  warehouse: Warehouse,
): Promise<Map<number, { name: string; checksum: string }>> {
  const result = await warehouse.client.query({
    query:
      'SELECT version, any(name) AS name, any(checksum) AS checksum FROM schema_migrations GROUP BY version',
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ version: number | string; name: string; checksum: string }>()
  return new Map(rows.map((row) => [Number(row.version), { name: row.name, checksum: row.checksum }]))
}

export async function migrate(warehouse: Warehouse, migrations = readMigrations()): Promise<MigrationReport> {
  const cluster = clusterDdl(warehouse)
  for (const statement of statementsFor([BOOKKEEPING], cluster)) {
    await warehouse.client.command({ query: statement })
  }
  const done = await appliedMigrations(warehouse)
  const applied: string[] = []
  if (cluster && (await nodesDiffer(warehouse, 'tables', "engine != 'Distributed'"))) {
    for (const migration of migrations.filter((m) => done.has(m.version))) {
      for (const statement of statementsFor(migration.statements, cluster)) {
        await run(warehouse, statement)
      }
    }
  }
  for (const migration of migrations) {
    const recorded = done.get(migration.version)
    if (recorded) {
      if (recorded.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.name} was changed after it was applied; add a new migration instead`,
        )
      }
      continue
    }
    for (const statement of statementsFor(migration.statements, cluster)) {
      await run(warehouse, statement)
    }
    await warehouse.client.insert({
      table: 'schema_migrations',
      format: 'JSONEachRow',
      values: [
        {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          applied_at: new Date().toISOString().slice(0, 19).replace('T', ' '),
        },
      ],
    })
    applied.push(migration.name)
  }
  return { applied, current: Math.max(0, ...migrations.map((m) => m.version)) }
}

/** One statement of a migration; an added column goes through `addColumn`, which makes it idempotent. */
async function run(warehouse: Warehouse, statement: string): Promise<void> {
  if (isAddColumn(statement)) await addColumn(warehouse, statement)
  else await warehouse.client.command({ query: statement })
}
