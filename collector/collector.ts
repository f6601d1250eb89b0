import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import { utcDay } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { bearerAuth } from '../core/tokens.ts'
import type { Config } from '../schemas/config.ts'
import type { Warehouse } from '../warehouse/client.ts'
import {
  appliedBatches,
  type InsertPath,
  insertBatch,
  prepareInsertPath,
  pruneLedger,
} from '../warehouse/insert-events.ts'
import { createSaltStore, type SaltStore } from '../warehouse/salts.ts'
import { beaconRoutes } from './beacon/routes.ts'
import { createCountryLookup, createUaClassifier } from './coarsen.ts'
import { createEventPipeline, DROP_REASONS } from './pipeline.ts'
import { createRateLimiter } from './rate-limit.ts'
import { eventRoutes } from './routes/event.ts'
import {
  type Batcher,
  type BatchSink,
  createBatcher,
  describeError,
  MAX_BATCH_EVENTS,
} from './write-buffer/batcher.ts'
import { drainOrphanedLog, type OrphanedLog, orphanedWalDirs, walDirFor } from './write-buffer/wal-dirs.ts'

export type CollectorDeps = {
  config: Pick<
    Config,
    | 'sites'
    | 'queryParams'
    | 'paymentHosts'
    | 'flushIntervalMs'
    | 'trustProxy'
    | 'dataDir'
    | 'spoolMaxBytes'
    | 'walFsyncMs'
    | 'rateLimit'
    | 'requestTimeoutMs'
    | 'tokens'
  >
  warehouse: Warehouse
  logger: Logger
  metrics?: Metrics
  now?: () => Date
  /** Fault injection for the reliability tests (`TALLY_FAILPOINT`). */
  failpoint?: string | undefined
  /** Set when the service runs as several processes (`WORKERS`): which one this is, of how many. */
  worker?: { index: number; count: number } | undefined
  /** `GET /metrics`'s body; by default this process's series (a worker gathers every worker's). */
  renderMetrics?: () => Promise<string>
}

export type Collector = {
  /**
   * `POST /api/event` (and its CORS preflight). Mounted ahead of the app-wide middleware: a
   * beacon needs no request id, request log line or page security headers, and those cost the
   * ingestion path more than its whole privacy pipeline did.
   */
  ingest: Hono
  /** The beacon script and `/metrics`. */
  routes: Hono
  salts: SaltStore
  metrics: Metrics
  batcher: Batcher
  health(): { name: string; status: 'ok' | 'degraded'; detail: Record<string, unknown> }
  /** Stops taking events and writes what it can to the warehouse within `deadlineMs`; the rest stays in the log. */
  close(deadlineMs?: number): Promise<void>
}

/** The collector room: event intake, the beacon, `/metrics`, and the write buffer behind them. */
export function createCollector(deps: CollectorDeps): Collector {
  const now = deps.now ?? (() => new Date())
  const metrics = deps.metrics ?? new Metrics()
  const received = metrics.counter('tally_events_received_total', 'Events that passed validation.')
  const accepted = metrics.counter(
    'tally_events_accepted_total',
    'Events answered 202 and queued for the warehouse.',
  )
  const droppedCount = metrics.counter('tally_events_dropped_total', 'Events dropped, by reason.')
  for (const reason of DROP_REASONS) droppedCount({ reason }, 0)
  const flushed = metrics.counter('tally_events_flushed_total', 'Events written to the warehouse.')
  const flushErrors = metrics.counter('tally_flush_errors_total', 'Failed writes to the warehouse (retried).')
  const retries = metrics.counter(
    'tally_flush_retries_total',
    'Inserts retried after a failure (the batch stays in the write-ahead log meanwhile).',
  )
  const refused = metrics.counter(
    'tally_requests_refused_total',
    'Requests refused before their events were looked at, by reason.',
  )
  for (const reason of ['rate_limited', 'timeout', 'unavailable']) refused({ reason }, 0)
  const walCommits = metrics.counter(
    'tally_wal_commits_total',
    'Group commits to the write-ahead log (one write each, and one fsync when WAL_FSYNC_MS is 0).',
  )
  const walSyncs = metrics.counter('tally_wal_fsyncs_total', 'Fsyncs of write-ahead log files.')
  const walAppends = metrics.counter('tally_wal_appends_total', 'Requests acknowledged by those commits.')
  const walSeconds = metrics.counter(
    'tally_wal_commit_seconds_total',
    'Time the commits took (write, and fsync when WAL_FSYNC_MS is 0).',
  )
  const walErrors = metrics.counter('tally_wal_errors_total', 'Failed writes to the write-ahead log.')
  const replayed = metrics.counter(
    'tally_replayed_batches_total',
    'Batches found in the write-ahead log at start, by outcome.',
  )
  const skipped = metrics.counter(
    'tally_dedup_skipped_batches_total',
    'Batches not inserted again because the warehouse already had them.',
  )

  const log = deps.logger
  const throttled = throttle(10_000)
  let path: InsertPath | undefined
  const sink: BatchSink = {
    prepare: async () => {
      path = await prepareInsertPath(deps.warehouse)
      // Old batch ids are of no further use; failing to drop them is not worth a retry loop.
      pruneLedger(deps.warehouse, now()).catch(() => {})
      log.info({ dedupTokens: path.tokens, version: path.version }, 'write path ready')
      return path
    },
    insert: (batch, signal) => {
      if (!path) throw new Error('write path not prepared')
      return insertBatch(deps.warehouse, path, batch, signal)
    },
    applied: (ids) => appliedBatches(deps.warehouse, ids),
  }
  const walDir = walDirFor(deps.config.dataDir, deps.worker?.index)
  const writeEvents = {
    flushed: (rows: number) => flushed({}, rows),
    failed: (error: unknown, rows: number, attempt: number) => {
      flushErrors()
      if (attempt > 1) retries()
      if (throttled('flush'))
        log.warn(
          { rows, attempt, err: describeError(error) },
          'warehouse write failed; the batch stays in the write-ahead log and is retried',
        )
    },
  }
  const batcher = createBatcher({
    dir: walDir,
    maxBytes: deps.config.spoolMaxBytes,
    syncIntervalMs: deps.config.walFsyncMs,
    sink,
    intervalMs: deps.config.flushIntervalMs,
    maxBatch: MAX_BATCH_EVENTS[deps.warehouse.kind],
    failpoint: deps.failpoint,
    on: {
      ...writeEvents,
      walError: (error) => {
        walErrors()
        if (throttled('wal'))
          log.error(
            { dir: walDir, err: error.message },
            'cannot write the write-ahead log; answering 503 until it can (disk full or not writable?)',
          )
      },
      commit: (appends, ms) => {
        walCommits()
        walAppends({}, appends)
        walSeconds({}, ms / 1000)
      },
      sync: () => walSyncs(),
      skipped: () => skipped(),
      recovered: (report) => {
        replayed({ outcome: 'found' }, report.batches.length)
        if (report.batches.length > 0 || report.truncated.length > 0) {
          log.info(
            {
              dir: walDir,
              batches: report.batches.length,
              events: report.batches.reduce((sum, batch) => sum + batch.events, 0),
              truncated: report.truncated,
            },
            'replaying the write-ahead log',
          )
        }
      },
    },
  })
  // The first process also sends what workers no longer configured left in their logs.
  const orphans: OrphanedLog[] = []
  if ((deps.worker?.index ?? 1) === 1) {
    for (const dir of orphanedWalDirs(deps.config.dataDir, deps.worker?.count ?? 1)) {
      try {
        orphans.push(
          drainOrphanedLog({
            dir,
            maxBytes: deps.config.spoolMaxBytes,
            sink,
            intervalMs: deps.config.flushIntervalMs,
            on: {
              ...writeEvents,
              recovered: (report) => {
                replayed({ outcome: 'found' }, report.batches.length)
                log.info(
                  { dir, batches: report.batches.length },
                  'sending the write-ahead log of a worker no longer configured (WORKERS)',
                )
              },
            },
          }),
        )
      } catch (error) {
        // Locked by a live process: it is that process's to send.
        log.warn({ dir, err: describeError(error) }, 'cannot open the write-ahead log of a former worker')
      }
    }
  }
  metrics.gauge(
    'tally_buffered_events',
    'Events acknowledged and not yet in the warehouse.',
    () => batcher.buffered,
  )
  metrics.gauge(
    'tally_backlog_events',
    'Events in the write-ahead log waiting for the warehouse.',
    () => batcher.stats.backlogEvents,
  )
  metrics.gauge(
    'tally_backlog_batches',
    'Batches in the write-ahead log waiting for the warehouse.',
    () => batcher.stats.backlogBatches,
  )
  metrics.gauge(
    'tally_backlog_bytes',
    'Bytes of the write-ahead log (SPOOL_MAX_MB is its limit).',
    () => batcher.stats.backlogBytes,
  )
  metrics.gauge('tally_spool_max_bytes', 'SPOOL_MAX_MB in bytes.', () => deps.config.spoolMaxBytes)
  const rateLimiter =
    deps.config.rateLimit > 0 ? createRateLimiter({ perMinute: deps.config.rateLimit }) : undefined
  metrics.gauge(
    'tally_rate_limited_clients',
    'Clients with a rate-limit bucket in memory.',
    () => rateLimiter?.clients ?? 0,
  )

  const salts = createSaltStore(deps.warehouse, { now })
  const saltFor = (at: Date) => {
    const day = utcDay(at)
    salts.evictBefore(day)
    return salts.forDay(day)
  }

  const allowedOrigins = new Set([...deps.config.sites.values()].flat())
  const ingest = eventRoutes({
    processEvent: createEventPipeline({
      sites: deps.config.sites,
      queryParams: deps.config.queryParams,
      paymentHosts: deps.config.paymentHosts,
      classifyUa: createUaClassifier(),
      lookupCountry: createCountryLookup({ trustProxy: deps.config.trustProxy }),
    }),
    saltFor,
    batcher,
    allowedOrigins,
    trustProxy: deps.config.trustProxy,
    rateLimiter,
    requestTimeoutMs: deps.config.requestTimeoutMs,
    now,
    remoteAddress: (c) => {
      try {
        return getConnInfo(c).remote.address
      } catch {
        return undefined
      }
    },
    count: {
      received: (n) => received({}, n),
      accepted: (n) => accepted({}, n),
      dropped: (reason, n) => droppedCount({ reason }, n),
      refused: (reason, n) => refused({ reason }, n),
    },
  })
  const routes = new Hono().route('/', beaconRoutes())
  // Operator endpoints take ADMIN_TOKEN when one is set (Prometheus sends it as a bearer token).
  const admin = deps.config.tokens.admin
  if (admin) routes.use('/metrics', bearerAuth(admin, 'tally-admin'))
  const renderMetrics = deps.renderMetrics ?? (async () => metrics.render())
  routes.get('/metrics', async (c) =>
    c.text(await renderMetrics(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }),
  )

  return {
    ingest,
    routes,
    salts,
    metrics,
    batcher,
    health: () => {
      const stats = batcher.stats
      return {
        name: 'write_buffer',
        status: batcher.healthy ? 'ok' : 'degraded',
        detail: {
          buffered: stats.backlogEvents,
          backlogBatches: stats.backlogBatches,
          backlogBytes: stats.backlogBytes,
          spoolMaxBytes: stats.maxBytes,
          walWritable: stats.walWritable,
          failedAttempts: stats.failures,
          // With WORKERS, the write buffer is this worker's: say which one answered.
          ...(deps.worker ? { worker: deps.worker.index } : {}),
          ...(stats.lastError ? { lastError: stats.lastError } : {}),
        },
      }
    },
    close: async (deadlineMs) => {
      await Promise.all([batcher.close(deadlineMs), ...orphans.map((orphan) => orphan.close(deadlineMs))])
    },
  }
}

/** True at most once per `ms` for each key: a failing disk or warehouse is logged, not flooded. */
function throttle(ms: number): (key: string) => boolean {
  const last = new Map<string, number>()
  return (key) => {
    const now = Date.now()
    if (now - (last.get(key) ?? 0) < ms) return false
    last.set(key, now)
    return true
  }
}
