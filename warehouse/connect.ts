import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../core/logger.ts'
import type { WarehouseConfig } from '../schemas/config.ts'
import { type CloseOptions, openWarehouse, type Warehouse } from './client.ts'
import { type MigrationReport, migrate } from './migrate.ts'

/**
 * A warehouse the service can start without. `connectWarehouse` returns at once with a
 * `Warehouse` whose clients refuse every call (with the reason) until the warehouse has been
 * opened and migrated; then they are the real ones. Opening is retried with a growing pause, so a
 * ClickHouse server that is down at start is picked up when it is back: the collector meanwhile
 * answers 202 into its write-ahead log (whose inserts fail and are retried like any other), and
 * hashes visitors with the salts cached on disk (salt-cache.ts). Nothing is inserted before the
 * migrations ran. The embedded warehouse is in this process: it is opened once, and a failure
 * stops the start as before.
 */
export type WarehouseLink = {
  readonly warehouse: Warehouse
  /** Resolves once the warehouse is open and migrated; rejects only for the embedded one. */
  readonly ready: Promise<MigrationReport>
  /**
   * Resolves after the first attempt, whether it succeeded or not: a service waits for this
   * before it listens, so that with its warehouse there it starts migrated, as it always did.
   */
  readonly firstAttempt: Promise<void>
  /** The migrations applied at connection (zero and none until then). */
  readonly migrations: MigrationReport
  /** Why the warehouse is not usable yet; undefined once it is. */
  reason(): string | undefined
  /**
   * Stops retrying and closes the warehouse if it was opened, once the calls still running on it
   * have settled (`Warehouse.close`).
   */
  close(options?: CloseOptions): Promise<void>
}

const MAX_PAUSE_MS = 30_000

export type ConnectOptions = {
  logger: Logger
  /** The first pause between attempts; it doubles up to 30 s. */
  retryMs?: number
}

/** @example const link = connectWarehouse(config.warehouse, { logger }); await link.ready */
export function connectWarehouse(config: WarehouseConfig, options: ConnectOptions): WarehouseLink {
  let current: Warehouse | undefined
  let reason: string | undefined = 'connecting to the warehouse'
  let stopped = false
  let wake: (() => void) | undefined
  const migrations: MigrationReport = { applied: [], current: 0 }
  const refusing = notConnected(() => reason ?? 'the warehouse is closed')

  const warehouse: Warehouse = {
    get client() {
      return current?.client ?? refusing
    },
    get writer() {
      return current?.writer
    },
    kind: config.kind,
    database: config.database,
    ...(config.kind === 'server' && config.cluster ? { cluster: config.cluster } : {}),
    version: () => (current ? current.version() : Promise.reject(new Error(reason))),
    close: (options) => link.close(options),
  }

  let attempted: () => void = () => {}
  const firstAttempt = new Promise<void>((resolve) => {
    attempted = resolve
  })

  const connect = async (): Promise<MigrationReport> => {
    let pause = options.retryMs ?? 1_000
    for (let tries = 1; ; tries++) {
      try {
        const opened = await openWarehouse(config)
        let report: MigrationReport
        try {
          report = await migrate(opened)
        } catch (error) {
          await opened.close().catch(() => {})
          throw error
        }
        if (stopped) {
          await opened.close()
          throw new Error('stopped before the warehouse was ready')
        }
        Object.assign(migrations, report)
        current = opened
        reason = undefined
        attempted()
        if (tries > 1)
          options.logger.info({ tries }, 'warehouse reachable again: migrated, writing the backlog')
        return report
      } catch (error) {
        attempted()
        if (config.kind === 'embedded' || stopped) throw error
        reason = `the warehouse is unreachable: ${error instanceof Error ? error.message : String(error)}`
        // Once at the first failure, then every tenth: the pauses grow to 30 s.
        if (tries === 1 || tries % 10 === 0) {
          options.logger.warn({ tries, reason }, 'warehouse unreachable; collecting into the write-ahead log')
        }
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, pause).unref()
        })
        pause = Math.min(MAX_PAUSE_MS, pause * 2)
      }
    }
  }

  const ready = connect()
  // A caller that never awaits `ready` (a failed embedded start is awaited by the server).
  ready.catch(() => {})

  const link: WarehouseLink = {
    warehouse,
    ready,
    firstAttempt,
    migrations,
    reason: () => reason,
    async close(options) {
      stopped = true
      reason = 'the warehouse is closed'
      wake?.()
      // Until its calls have settled, `client` stays the opened one, which refuses new calls.
      await current?.close(options)
      current = undefined
    },
  }
  return link
}

/** A client that refuses every call with the reason the warehouse is not there. */
function notConnected(reason: () => string): ClickHouseClient {
  const refuse = () => Promise.reject(new Error(reason()))
  return {
    query: refuse,
    insert: refuse,
    command: refuse,
    exec: refuse,
    ping: async () => ({ success: false, error: new Error(reason()) }),
    close: async () => {},
  } as unknown as ClickHouseClient
}
