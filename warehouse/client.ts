import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { settlesWithin } from '../core/deadline.ts'
import type { ClusterConfig, WarehouseConfig } from '../schemas/config.ts'
import { inFlight, WarehouseBusyError } from './in-flight.ts'

export { WarehouseBusyError, WarehouseClosedError } from './in-flight.ts'

/**
 * The one place that knows which ClickHouse Tally talks to. Everything else receives a
 * `Warehouse` and speaks SQL through its `@clickhouse/client` client, whether that client's
 * connection is chDB in this process or a server over HTTP.
 */
export type Warehouse = {
  readonly client: ClickHouseClient
  /**
   * The client the collector's batches are inserted with. On a server it opens a connection per
   * insert: a server that is shutting down refuses new connections but keeps serving open
   * keep-alive ones until it exits, and an insert cut off by that exit would be half written.
   */
  readonly writer?: ClickHouseClient
  readonly kind: WarehouseConfig['kind']
  readonly database: string
  /** Set on a cluster: DDL runs `ON CLUSTER`, rollups are `<name>_local` under a Distributed `<name>`. */
  readonly cluster?: ClusterConfig
  /** The ClickHouse version string, e.g. `26.7.2.1` or `18.16.1`. */
  version(): Promise<string>
  /**
   * Refuses every new call at once (`WarehouseClosedError`), waits for the calls still running,
   * then closes. The embedded warehouse must not be closed under a running query or insert: chDB
   * then crashes the process when it exits. Rejects with `WarehouseBusyError`, and leaves the
   * connection open, if calls still run after `waitMs`. Calling it again waits for the same close.
   */
  close(options?: CloseOptions): Promise<void>
}

export type CloseOptions = {
  /** How long to wait for the calls still running; 30 s unless given. */
  waitMs?: number
}

const CLOSE_WAIT_MS = 30_000

// Counts come back as JSON numbers on every server version, so readers never see quoted
// 64-bit integers on one backend and plain numbers on the other.
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']

const settings = { output_format_json_quote_64bit_integers: 0 } as const

// An insert counts every time unless it names an `insert_deduplication_token`, as the collector's
// write path does (warehouse/insert-events.ts): the tables that views write to keep a window of
// recent block ids for those tokens, and without these two an identical block inserted without a
// token would be dropped as a repeat. Both settings exist from ClickHouse 22 (and in chDB).
const countEveryInsert = {
  insert_deduplicate: 0,
  deduplicate_blocks_in_dependent_materialized_views: 0,
} as const

// On a cluster, an insert into a Distributed table returns once every shard has written its rows:
// without this the node that took the insert would spool the rows, per event, in files of its own
// and send them later, so a batch the collector dropped from its write-ahead log could still be
// lost with that node, and raw rows would sit on its disk. 18.16 takes no SETTINGS clause in an
// INSERT, so the setting travels with every request of the connection (it only affects inserts).
const distributeNow = { insert_distributed_sync: 1 } as const

/** Opening with `create: false` found no warehouse where the configuration points. */
export class NoWarehouseError extends Error {}

export type OpenOptions = {
  /** `false`: open only a warehouse that exists (a directory, a database); never make one. */
  create?: boolean
}

/** Where a warehouse lives, for a person: no password, whatever the URL held. */
export function describeWarehouse(config: WarehouseConfig): string {
  if (config.kind === 'embedded') {
    return `embedded warehouse at ${resolve(config.path, 'clickhouse')}, database ${config.database}`
  }
  const url = new URL(config.url)
  url.username = ''
  url.password = ''
  const cluster = config.cluster ? ` (cluster ${config.cluster.name})` : ''
  return `ClickHouse server ${url.origin}${url.pathname === '/' ? '' : url.pathname}${cluster}, database ${config.database}`
}

export async function openWarehouse(config: WarehouseConfig, options: OpenOptions = {}): Promise<Warehouse> {
  const create = options.create ?? true
  const opened =
    config.kind === 'embedded' ? await openEmbedded(config, create) : await openServer(config, create)
  const calls = inFlight()
  const client = calls.guard(opened.client)
  const writer = opened.writer && calls.guard(opened.writer)
  const close = async (waitMs: number) => {
    calls.stop()
    const deadline = performance.now() + waitMs
    const idle =
      (await calls.idle(waitMs)) && (await settlesWithin(opened.settled(), deadline - performance.now()))
    if (!idle) {
      throw new WarehouseBusyError(
        `the warehouse is still busy after ${waitMs} ms (${calls.running} calls running, besides any aborted ones chDB is finishing): left open, since closing it under them would crash an embedded one`,
      )
    }
    await opened.writer?.close()
    await opened.client.close()
  }
  let closing: Promise<void> | undefined
  let cachedVersion: Promise<string> | undefined
  return {
    client,
    ...(writer ? { writer } : {}),
    kind: config.kind,
    database: config.database,
    ...(config.kind === 'server' && config.cluster ? { cluster: config.cluster } : {}),
    version: () => {
      cachedVersion ??= client
        .query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
        .then((result) => result.json<{ version: string }>())
        .then((rows) => rows[0]?.version ?? 'unknown')
      return cachedVersion
    },
    close: (options = {}) => {
      // A close that gave up may be tried again, with a longer wait.
      closing ??= close(options.waitMs ?? CLOSE_WAIT_MS).catch((error: unknown) => {
        closing = undefined
        throw error
      })
      return closing
    },
  }
}

/** What the two kinds of warehouse open: the clients, and how to wait for work they cannot count. */
type Opened = {
  client: ClickHouseClient
  writer?: ClickHouseClient
  /**
   * Settles once nothing started through these clients still runs, even calls whose callers gave
   * up (for chDB: nothing in the process, since chDB keeps that count for the process).
   */
  settled(): Promise<void>
}

// `SHOW DATABASES` rather than a filtered query: 18.16 takes no query parameters, and the name is
// compared here instead of being written into SQL.
async function hasDatabase(client: ClickHouseClient, database: string): Promise<boolean> {
  const rows = await (await client.query({ query: 'SHOW DATABASES', format: 'JSONEachRow' })).json<{
    name: string
  }>()
  return rows.some((row) => row.name === database)
}

async function openEmbedded(
  config: Extract<WarehouseConfig, { kind: 'embedded' }>,
  create: boolean,
): Promise<Opened> {
  const path = resolve(config.path, 'clickhouse')
  if (!create && !existsSync(path)) throw new NoWarehouseError(`no embedded warehouse at ${path}`)
  // Loaded only here: the embedded engine is a large native library that a collector talking to a
  // server never needs in memory.
  const [{ createChdbConnection }, { drainPending }] = await Promise.all([
    import('chdb/connection'),
    import('chdb'),
  ])
  mkdirSync(path, { recursive: true })
  const client = createClient({
    // chdb types its connection against @clickhouse/client-common, which the client now bundles
    // as its own copy: the shapes are the same, the declarations are not.
    connection: createChdbConnection({ path }) as unknown as ClientConnection,
    clickhouse_settings: { ...settings, ...countEveryInsert },
  })
  // chDB keeps one session per connection and ignores the client's `database` option, so
  // the session is pointed at the database once, here.
  if (create) {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` })
  } else if (!(await hasDatabase(client, config.database))) {
    await client.close()
    throw new NoWarehouseError(`no database ${config.database} in the embedded warehouse at ${path}`)
  }
  await client.command({ query: `USE ${config.database}` })
  // An aborted call (the collector's insert cut at its shutdown deadline) rejects at once while
  // chDB computes on to the end: chDB's own count of its native calls sees those too.
  return { client, settled: drainPending }
}

async function openServer(
  config: Extract<WarehouseConfig, { kind: 'server' }>,
  create: boolean,
): Promise<Opened> {
  const connection = { url: config.url, username: config.username, password: config.password }
  const bootstrap = createClient({ ...connection, request_timeout: 10_000 })
  let major = 0
  try {
    // The database name and the cluster's come from the validated config (plain identifiers).
    const onCluster = config.cluster ? ` ON CLUSTER ${config.cluster.name}` : ''
    if (create) {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}${onCluster}` })
    } else if (!(await hasDatabase(bootstrap, config.database))) {
      throw new NoWarehouseError(`no database ${config.database} on ${describeWarehouse(config)}`)
    }
    const rows = await (
      await bootstrap.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
    ).json<{ version: string }>()
    major = Number(rows[0]?.version.split('.')[0])
  } finally {
    await bootstrap.close()
  }
  const options = {
    ...connection,
    database: config.database,
    clickhouse_settings: {
      ...settings,
      ...(major >= 22 ? countEveryInsert : {}),
      ...(config.cluster ? distributeNow : {}),
    },
    request_timeout: 30_000,
  }
  return {
    client: createClient(options),
    writer: createClient({ ...options, keep_alive: { enabled: false } }),
    // An aborted request is cut on the socket; the server finishes or cancels it on its own.
    settled: async () => {},
  }
}
