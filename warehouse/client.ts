import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { WarehouseConfig } from '../schemas/config.ts'

/**
 * The one place that knows which ClickHouse Tally talks to. Everything else receives a
 * `Warehouse` and speaks SQL through its `@clickhouse/client` client, whether that client's
 * connection is chDB in this process or a server over HTTP.
 */
export type Warehouse = {
  readonly client: ClickHouseClient
  readonly kind: WarehouseConfig['kind']
  readonly database: string
  /** The ClickHouse version string, e.g. `26.7.2.1` or `18.16.1`. */
  version(): Promise<string>
  close(): Promise<void>
}

// Counts come back as JSON numbers on every server version, so readers never see quoted
// 64-bit integers on one backend and plain numbers on the other.
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']

const settings = { output_format_json_quote_64bit_integers: 0 } as const

export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  const client = config.kind === 'embedded' ? await openEmbedded(config) : await openServer(config)
  let cachedVersion: Promise<string> | undefined
  return {
    client,
    kind: config.kind,
    database: config.database,
    version: () => {
      cachedVersion ??= client
        .query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
        .then((result) => result.json<{ version: string }>())
        .then((rows) => rows[0]?.version ?? 'unknown')
      return cachedVersion
    },
    close: () => client.close(),
  }
}

async function openEmbedded(
  config: Extract<WarehouseConfig, { kind: 'embedded' }>,
): Promise<ClickHouseClient> {
  const path = resolve(config.path, 'clickhouse')
  mkdirSync(path, { recursive: true })
  const client = createClient({
    // chdb types its connection against @clickhouse/client-common, which the client now bundles
    // as its own copy: the shapes are the same, the declarations are not.
    connection: createChdbConnection({ path }) as unknown as ClientConnection,
    clickhouse_settings: settings,
  })
  // chDB keeps one session per connection and ignores the client's `database` option, so
  // the session is pointed at the database once, here.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` })
  await client.command({ query: `USE ${config.database}` })
  return client
}

async function openServer(config: Extract<WarehouseConfig, { kind: 'server' }>): Promise<ClickHouseClient> {
  const connection = { url: config.url, username: config.username, password: config.password }
  const bootstrap = createClient({ ...connection, request_timeout: 10_000 })
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` })
  } finally {
    await bootstrap.close()
  }
  return createClient({
    ...connection,
    database: config.database,
    clickhouse_settings: settings,
    request_timeout: 30_000,
  })
}
