import type { Warehouse } from './client.ts'
import { nodesDiffer } from './cluster-tables.ts'

/**
 * `ALTER TABLE … ADD COLUMN IF NOT EXISTS` as a migration may write it, run so that it works on
 * every supported version: ClickHouse 18.16 knows no `IF NOT EXISTS` there, so the runner asks
 * `system.columns` first (on a cluster, whether every node has the column) and runs the statement
 * without it only where the column is missing. A second instance adding the same column at the same
 * moment makes the ALTER fail; the column is then there, which is checked again before giving up.
 */

// Matches the statement on one server and its `ON CLUSTER` forms (warehouse/cluster-ddl.ts).
const ADD_COLUMN =
  /^ALTER TABLE (?:(\w+)\.)?(\w+)( ON CLUSTER \w+)? ADD COLUMN IF NOT EXISTS (\w+) ([\s\S]+)$/

/** True when `statement` adds a column (and is run by `addColumn`). */
export const isAddColumn = (statement: string): boolean => ADD_COLUMN.test(statement.trim())

async function count(warehouse: Warehouse, query: string): Promise<number> {
  const rows = await (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<{ n: number }>()
  return Number(rows[0]?.n ?? 0)
}

/** Runs one `ADD COLUMN IF NOT EXISTS` statement idempotently, on any supported version. */
export async function addColumn(warehouse: Warehouse, statement: string): Promise<void> {
  const match = ADD_COLUMN.exec(statement.trim())
  if (!match) throw new Error(`not an ADD COLUMN statement: ${statement.slice(0, 60)}`)
  const [, database = '', table = '', onCluster = '', column = '', definition = ''] = match
  // Names matched \w+ above; they come from the migration files.
  const where = `table = '${table}' AND name = '${column}'`
  const present = async () =>
    (await count(
      warehouse,
      `SELECT count() AS n FROM system.columns WHERE database = ${database ? `'${database}'` : 'currentDatabase()'} AND ${where}`,
    )) > 0 && !(await nodesDiffer(warehouse, 'columns', where))
  if (await present()) return
  const target = `${database ? `${database}.` : ''}${table}${onCluster}`
  try {
    await warehouse.client.command({ query: `ALTER TABLE ${target} ADD COLUMN ${column} ${definition}` })
  } catch (error) {
    if (!(await present())) throw error
  }
}
