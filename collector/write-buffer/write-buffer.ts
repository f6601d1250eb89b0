import type { Logger } from '../../core/logger.ts'
import type { Metrics } from '../../core/metrics.ts'
import type { Config } from '../../schemas/config.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import {
  appliedBatches,
  type InsertPath,
  insertBatch,
  prepareInsertPath,
  pruneLedger,
} from '../../warehouse/insert-events.ts'
import type { CollectorCounters } from '../counters.ts'
import { type Batcher, type BatchSink, createBatcher, describeError, MAX_BATCH_EVENTS } from './batcher.ts'
import { drainOrphanedLog, type OrphanedLog, orphanedWalDirs, walDirFor } from './wal-dirs.ts'

export type WriteBufferDeps = {
  config: Pick<Config, 'dataDir' | 'spoolMaxBytes' | 'walFsyncMs' | 'flushIntervalMs'>
  warehouse: Warehouse
  logger: Logger
  metrics: Metrics
  counters: CollectorCounters
  now: () => Date
  failpoint?: string | undefined
  worker?: { index: number; count: number } | undefined
}

export type WriteBuffer = {
  batcher: Batcher
  health(): { name: string; status: 'ok' | 'degraded'; detail: Record<string, unknown> }
  /** Writes what it can within `deadlineMs`; the rest stays in the log for the next start. */
  close(deadlineMs?: number): Promise<void>
}

/**
 * The write buffer behind `POST /api/event`: this process's write-ahead log and batcher, the
 * warehouse as their sink, and, in the first process, the logs that workers no longer configured
 * left behind (`WORKERS` lowered). Its backlog is on `/metrics` and in `/healthz`.
 *
 * @example
 * const buffer = createWriteBuffer({ config, warehouse, logger, metrics, counters, now })
 * await buffer.batcher.append(rows)
 * await buffer.close(5_000)
 */
export function createWriteBuffer(deps: WriteBufferDeps): WriteBuffer {
  const { counters: count, logger: log, config } = deps
  const throttled = throttle(10_000)
  const sink = warehouseSink(deps)
  const walDir = walDirFor(config.dataDir, deps.worker?.index)
  const writeEvents = {
    flushed: (rows: number) => count.flushed({}, rows),
    failed: (error: unknown, rows: number, attempt: number) => {
      count.flushErrors()
      if (attempt > 1) count.retries()
      if (throttled('flush'))
        log.warn(
          { rows, attempt, err: describeError(error) },
          'warehouse write failed; the batch stays in the write-ahead log and is retried',
        )
    },
  }
  const batcher = createBatcher({
    dir: walDir,
    maxBytes: config.spoolMaxBytes,
    syncIntervalMs: config.walFsyncMs,
    sink,
    intervalMs: config.flushIntervalMs,
    maxBatch: MAX_BATCH_EVENTS[deps.warehouse.kind],
    failpoint: deps.failpoint,
    on: {
      ...writeEvents,
      walError: (error) => {
        count.walErrors()
        if (throttled('wal'))
          log.error(
            { dir: walDir, err: error.message },
            'cannot write the write-ahead log; answering 503 until it can (disk full or not writable?)',
          )
      },
      commit: (appends, ms) => {
        count.walCommits()
        count.walAppends({}, appends)
        count.walSeconds({}, ms / 1000)
      },
      sync: () => count.walSyncs(),
      skipped: () => count.skipped(),
      recovered: (report) => {
        count.replayed({ outcome: 'found' }, report.batches.length)
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
    for (const dir of orphanedWalDirs(config.dataDir, deps.worker?.count ?? 1)) {
      try {
        orphans.push(
          drainOrphanedLog({
            dir,
            maxBytes: config.spoolMaxBytes,
            sink,
            intervalMs: config.flushIntervalMs,
            on: {
              ...writeEvents,
              recovered: (report) => {
                count.replayed({ outcome: 'found' }, report.batches.length)
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
  backlogGauges(deps.metrics, batcher, config.spoolMaxBytes)
  return {
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

/** The warehouse as the batcher sees it: prepare the insert path once, insert, ask what is stored. */
function warehouseSink({ warehouse, logger, now }: WriteBufferDeps): BatchSink {
  let path: InsertPath | undefined
  return {
    prepare: async () => {
      path = await prepareInsertPath(warehouse)
      // Old batch ids are of no further use; failing to drop them is not worth a retry loop.
      pruneLedger(warehouse, now()).catch(() => {})
      logger.info({ dedupTokens: path.tokens, version: path.version }, 'write path ready')
      return path
    },
    insert: (batch, signal) => {
      if (!path) throw new Error('write path not prepared')
      return insertBatch(warehouse, path, batch, signal)
    },
    applied: (ids) => appliedBatches(warehouse, ids),
  }
}

function backlogGauges(metrics: Metrics, batcher: Batcher, spoolMaxBytes: number): void {
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
  metrics.gauge('tally_spool_max_bytes', 'SPOOL_MAX_MB in bytes.', () => spoolMaxBytes)
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
