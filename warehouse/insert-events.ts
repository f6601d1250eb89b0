import { pipeline, Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import type { EventRow } from '../schemas/row.ts'
import type { Warehouse } from './client.ts'
import { statementsFor } from './cluster-ddl.ts'
import {
  alterTarget,
  clusterDdl,
  nodesDiffer,
  onEveryNode,
  publicName,
  storedName,
} from './cluster-tables.ts'

/** Inserts privacy-processed rows into `events_in`, the Null table the rollups read from. */
export async function insertEvents(warehouse: Warehouse, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return
  await warehouse.client.insert({ table: 'events_in', values: rows as EventRow[], format: 'JSONEachRow' })
}

/**
 * The collector's write path: batches from the write-ahead log go into `events_in` so that a
 * batch inserted twice (a crash between the insert and the log's truncation, or a retry after
 * an answer that never arrived) is counted once. Two mechanisms, because the supported
 * ClickHouse versions differ:
 *
 * - **The write ledger** (every version). Each row carries its batch id in `events_in.batch_id`;
 *   the view `zz_write_ledger_mv` folds the ids into `write_ledger` as part of the same INSERT.
 *   Before a batch is written again, the ledger is asked whether it is already there. ClickHouse
 *   18.16 pushes a block to the views of a table one by one, in the order of their names, and
 *   each view's part is committed as soon as it is written: the ledger's view is named to come
 *   last, so a batch the ledger knows has reached every rollup.
 * - **Insert deduplication tokens** (ClickHouse 22+; chDB is 26.x). Every insert names its batch
 *   id as `insert_deduplication_token`, and every table fed by a view keeps a window of the
 *   last `DEDUP_WINDOW` block ids (`non_replicated_deduplication_window`). Writing a batch again
 *   then adds nothing to a table that already has it, even when a crash left it in some tables
 *   and not in others.
 *
 * On a cluster `events_in` is a Distributed table: the connection sets `insert_distributed_sync`,
 * so an insert returns once every shard has its rows (warehouse/client.ts). A view would record a
 * batch in each shard's ledger as soon as that shard had its part, so a batch one shard took and
 * another refused (a shard down) would look applied and its other part would never be retried. On
 * a cluster the ledger therefore has no view: the collector records a batch itself, through a
 * Distributed `write_ledger`, once the whole insert has returned. A batch is then skipped only when
 * every shard has it; a retry after a partial insert writes it again (at least once, never lost),
 * as does one after a crash between the insert and its record.
 */

export const LEDGER_TABLE = 'write_ledger'
// Sorts after every rollup view: see above. A view added later must keep a name that sorts before it.
export const LEDGER_VIEW = 'zz_write_ledger_mv'
/** Block ids each rollup remembers for deduplication (at one insert per 5 s, 14 hours of one collector's inserts). */
export const DEDUP_WINDOW = 10_000
/** Days of batch ids the ledger keeps: far longer than any batch waits in a write-ahead log. */
export const LEDGER_DAYS = 8

export type InsertPath = {
  /** True when the warehouse deduplicates a repeated insert by its token (ClickHouse 22+). */
  readonly tokens: boolean
  readonly version: string
}

/**
 * A batch as the write-ahead log keeps it: its id and its rows as JSONEachRow lines, whole or
 * streamed from the log's file.
 */
export type StoredBatch = { id: string; body: Buffer | AsyncIterable<Buffer> }

// As the write-ahead log makes them (collector/write-buffer/wal.ts): 32 letters a to p.
const BATCH_ID = /^[a-p]{32}$/

const LEDGER = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  batch_id String,
  applied_on Date
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(applied_on)
ORDER BY batch_id`

// No time finer than the day and no row count: the ledger says which batches arrived, nothing else.
const LEDGER_MV = `CREATE MATERIALIZED VIEW IF NOT EXISTS ${LEDGER_VIEW} TO ${LEDGER_TABLE} AS
SELECT batch_id, toDate(now()) AS applied_on
FROM events_in
GROUP BY batch_id`

/** The ledger's table and view, made at every start (distributed like a migration on a cluster). */
export const LEDGER_STATEMENTS = [LEDGER, LEDGER_MV] as const

/** On a cluster the ledger has no view: `insertBatch` records each batch once it is everywhere. */
export const ledgerStatements = (onCluster: boolean): readonly string[] =>
  onCluster ? [LEDGER] : LEDGER_STATEMENTS

type Catalogue = { name: string; engine: string; create_table_query: string }

async function select<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>()
}

/**
 * Makes the warehouse ready for `insertBatch`: the `batch_id` column, the ledger and its view,
 * and, where tokens work, the deduplication window on every table a view writes to. Idempotent
 * and safe on several instances; runs at every start, after the migrations, so rollups added by
 * later migrations get their window too.
 */
export async function prepareInsertPath(warehouse: Warehouse): Promise<InsertPath> {
  const version = await warehouse.version()
  const tokens = Number(version.split('.')[0]) >= 22
  // On a cluster both the shards' Null tables and the Distributed table take the column.
  const eventTables = warehouse.cluster ? [storedName(warehouse, 'events_in'), 'events_in'] : ['events_in']
  // Whether this node's table, and on a cluster every node's (a new shard's too), has the column.
  // Table names from the fixed list above.
  const hasBatchId = async (table: string) => {
    const where = `table = '${table}' AND name = 'batch_id'`
    const [row] = await select<{ n: number }>(
      warehouse,
      `SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND ${where}`,
    )
    return Number(row?.n) > 0 && !(await nodesDiffer(warehouse, 'columns', where))
  }
  for (const table of eventTables) {
    if (await hasBatchId(table)) continue
    try {
      // 18.16 has no `ADD COLUMN IF NOT EXISTS`: a second instance doing the same at the same
      // moment, or a node that has it already, makes this fail, and the column is then there.
      await warehouse.client.command({
        query: `ALTER TABLE ${onEveryNode(warehouse, table)} ADD COLUMN ${tokens ? 'IF NOT EXISTS ' : ''}batch_id String DEFAULT ''`,
      })
    } catch (error) {
      if (!(await hasBatchId(table))) throw error
    }
  }
  for (const statement of statementsFor(
    ledgerStatements(warehouse.cluster !== undefined),
    clusterDdl(warehouse),
  )) {
    await warehouse.client.command({ query: statement })
  }

  if (tokens) {
    const catalogue = await select<Catalogue>(
      warehouse,
      'SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase()',
    )
    const targets = new Set(
      catalogue
        .filter((table) => table.engine === 'MaterializedView')
        .map((view) => /\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?/i.exec(view.create_table_query)?.[1])
        .filter((name): name is string => name !== undefined),
    )
    // Embedded, this process holds the only copy of a batch once it leaves the log, so parts are
    // fsynced before an insert returns; a server keeps its data as its operator configures it.
    const wanted = [
      `non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
      ...(warehouse.kind === 'embedded' ? ['fsync_after_insert = 1', 'fsync_part_directory = 1'] : []),
    ]
    for (const table of catalogue) {
      if (!targets.has(table.name) || !/^(\w*)MergeTree$/.test(table.engine)) continue
      if (table.engine.startsWith('Replicated')) continue
      const missing = wanted.filter((setting) => !table.create_table_query.includes(setting))
      if (missing.length === 0) continue
      // Names come from the warehouse's own catalogue and matched \w+ above.
      await warehouse.client.command({
        query: `ALTER TABLE ${alterTarget(warehouse, publicName(warehouse, table.name))} MODIFY SETTING ${missing.join(', ')}`,
      })
    }
  }
  return { tokens, version }
}

/**
 * Inserts one stored batch. On ClickHouse 22+ the batch id is the insert's deduplication token,
 * in the statement's own SETTINGS (chDB would otherwise keep a setting for its whole session).
 *
 * There too `optimize_on_insert = 0`: by default a table fed by a view folds the rows of each
 * inserted part that share a key before writing it, a sort and merge per view and insert. Every
 * rollup is an AggregatingMergeTree that its readers merge (`-Merge` with GROUP BY) whether or not
 * the parts have been folded yet, and background merges fold them later anyway, so the figures are
 * the same; on chDB this took about 60 µs per event off the collector's core under the pinned bench
 * (docs/performance.md). 18.16 has neither the setting nor a SETTINGS clause in an INSERT.
 */
export async function insertBatch(
  warehouse: Warehouse,
  path: InsertPath,
  batch: StoredBatch,
  signal?: AbortSignal,
): Promise<void> {
  if (!BATCH_ID.test(batch.id)) throw new Error(`not a batch id: ${batch.id}`)
  if (Buffer.isBuffer(batch.body) && batch.body.length === 0) return
  const settings = path.tokens
    ? ` SETTINGS insert_deduplicate = 1, deduplicate_blocks_in_dependent_materialized_views = 1, insert_deduplication_token = '${batch.id}', optimize_on_insert = 0`
    : ''
  const rows = Readable.from(Buffer.isBuffer(batch.body) ? [batch.body] : batch.body)
  const result = await (warehouse.writer ?? warehouse.client).exec({
    query: `INSERT INTO events_in${settings} FORMAT JSONEachRow`,
    ...(warehouse.kind === 'server'
      ? { values: gzipped(rows), http_headers: { 'Content-Encoding': 'gzip' } }
      : { values: rows }),
    ...(signal ? { abort_signal: signal } : {}),
  })
  result.stream.resume()
  await new Promise<void>((resolve, reject) => {
    result.stream.once('end', resolve)
    result.stream.once('close', resolve)
    result.stream.once('error', reject)
  })
  if (warehouse.cluster) {
    await (warehouse.writer ?? warehouse.client).insert({
      table: LEDGER_TABLE,
      format: 'JSONEachRow',
      values: [{ batch_id: batch.id, applied_on: new Date().toISOString().slice(0, 10) }],
    })
  }
}

/**
 * A server's insert body, gzipped: a server takes a plain body that ends early (the collector
 * died while sending it) as the whole body and inserts the rows it got (18.16 does, chunked or
 * with a Content-Length; tested), and its ledger would then list a batch that is only partly in.
 * A gzip stream that ends early fails to decompress, so such an insert writes nothing. Level 1:
 * the rows' JSON shrinks several times over at a few ms per MB, in the thread pool.
 */
function gzipped(rows: Readable): Readable {
  const gzip = createGzip({ level: 1 })
  // A failed read of the log (file gone, disk error) fails the insert instead of ending it.
  pipeline(rows, gzip, () => {})
  return gzip
}

/** The ids among `ids` that the ledger records as inserted. */
export async function appliedBatches(warehouse: Warehouse, ids: readonly string[]): Promise<Set<string>> {
  const valid = ids.filter((id) => BATCH_ID.test(id))
  if (valid.length === 0) return new Set()
  // Ids are checked against BATCH_ID above: letters only. 18.16 has no query parameters.
  const rows = await select<{ batch_id: string }>(
    warehouse,
    `SELECT DISTINCT batch_id FROM ${LEDGER_TABLE} WHERE batch_id IN (${valid.map((id) => `'${id}'`).join(', ')})`,
  )
  return new Set(rows.map((row) => row.batch_id))
}

/** Drops the ledger's days older than `LEDGER_DAYS`; returns the partitions dropped. */
export async function pruneLedger(warehouse: Warehouse, now: Date): Promise<string[]> {
  const oldest = Number(
    new Date(now.getTime() - LEDGER_DAYS * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''),
  )
  const partitions = await select<{ partition: string }>(
    warehouse,
    // This node's parts; a day old here is old everywhere, and dropping it on every node is a no-op
    // where it is already gone.
    `SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = '${storedName(warehouse, LEDGER_TABLE)}' AND active`,
  )
  const dropped: string[] = []
  for (const { partition } of partitions) {
    // Read from the warehouse's catalogue and checked to be a toYYYYMMDD value before use.
    if (!/^\d{8}$/.test(partition) || Number(partition) >= oldest) continue
    await warehouse.client.command({
      query: `ALTER TABLE ${alterTarget(warehouse, LEDGER_TABLE)} DROP PARTITION ${Number(partition)}`,
    })
    dropped.push(partition)
  }
  return dropped
}
