import type { Warehouse } from './client.ts'
import { type ClusterDdlOptions, LOCAL_SUFFIX } from './cluster-ddl.ts'

/**
 * Where a statement about one of Tally's tables must go. On one server, the table itself. On a
 * cluster, reads and inserts use the Distributed table under the public name, while mutations,
 * OPTIMIZE and partition drops go to the `_local` tables of every shard (`ON CLUSTER`): a
 * Distributed table holds no parts of its own. Table names come from the callers' fixed lists or
 * the warehouse's own catalogue and are checked here as plain identifiers.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

const checked = (table: string): string => {
  if (!IDENTIFIER.test(table)) throw new Error(`not a table name: ${table}`)
  return table
}

export function clusterDdl(warehouse: Warehouse): ClusterDdlOptions | undefined {
  return warehouse.cluster ? { ...warehouse.cluster, database: warehouse.database } : undefined
}

/** The target of ALTER/OPTIMIZE for `table`: e.g. `tally.salts_local ON CLUSTER shop`, or `salts`. */
export function alterTarget(warehouse: Warehouse, table: string): string {
  return onEveryNode(warehouse, storedName(warehouse, table))
}

/** `stored` (an exact name, local or Distributed) on every node of the cluster, or as it is. */
export function onEveryNode(warehouse: Warehouse, stored: string): string {
  const { cluster } = warehouse
  return cluster
    ? `${checked(warehouse.database)}.${checked(stored)} ON CLUSTER ${checked(cluster.name)}`
    : checked(stored)
}

/** The name under which this node stores `table`'s parts (for `system.parts`, `system.tables`). */
export function storedName(warehouse: Warehouse, table: string): string {
  return warehouse.cluster ? `${checked(table)}${LOCAL_SUFFIX}` : checked(table)
}

/** The public name of a stored table: `traffic_daily_local` is `traffic_daily` on a cluster. */
export function publicName(warehouse: Warehouse, stored: string): string {
  return warehouse.cluster && stored.endsWith(LOCAL_SUFFIX) ? stored.slice(0, -LOCAL_SUFFIX.length) : stored
}

/**
 * Whether some node of the cluster has a different count of what `where` selects in
 * `system.<catalogue>` (this database) than this node: a node added to the cluster after the
 * migrations ran has none of it, and this node may be that one. False on one server. `where` is a
 * fixed condition from the caller's code.
 */
export async function nodesDiffer(
  warehouse: Warehouse,
  catalogue: 'tables' | 'columns',
  where: string,
): Promise<boolean> {
  const { cluster } = warehouse
  if (!cluster) return false
  const name = checked(cluster.name)
  const database = checked(warehouse.database)
  const one = async (query: string) =>
    Number(
      (await (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<{ n: number }>())[0]?.n ??
        0,
    )
  const nodes = await one(`SELECT count() AS n FROM system.clusters WHERE cluster = '${name}'`)
  const here = await one(
    `SELECT count() AS n FROM system.${catalogue} WHERE database = '${database}' AND ${where}`,
  )
  const everywhere = await one(
    `SELECT count() AS n FROM cluster('${name}', system.${catalogue}) WHERE database = '${database}' AND ${where}`,
  )
  return everywhere !== nodes * here
}
