import type { ServerType } from '@hono/node-server'
import type { Collector } from '../collector/collector.ts'
import { settlesWithin } from '../core/deadline.ts'
import type { Logger } from '../core/logger.ts'
import type { Warehouse } from '../warehouse/client.ts'

/** How far into a shutdown each step may go, in ms from the signal. */
export const SHUTDOWN_LIMITS = {
  /** Then the process exits 1 whatever is left: what was not written stays in the write-ahead log. */
  totalMs: 10_000,
  /** Requests in flight get their answer (their events are being fsynced); then connections are cut. */
  graceMs: 2_000,
  /** Running jobs end by then. Jobs are idempotent: one cut short is done again by the next start. */
  jobsMs: 5_000,
  /** Kept at the end for the warehouse: the calls still running settle, then it closes. */
  closeMs: 2_000,
}

export type ShutdownDeps = {
  logger: Logger
  server: ServerType
  collector: Pick<Collector, 'close'> & { batcher: Pick<Collector['batcher'], 'buffered'> }
  warehouse: Pick<Warehouse, 'close'>
  /** The start-up begun once the warehouse was ready (version check, scheduler start), if begun. */
  startup: () => Promise<unknown> | undefined
  /** The scheduler, if the start-up started it. A start-up that sees the shutdown starts none. */
  scheduler: () => { stop(): Promise<void> } | undefined
  limits?: typeof SHUTDOWN_LIMITS
  /** `process.exit` unless given. */
  exit?: (code: number) => void
}

/**
 * The service's shutdown on SIGTERM or SIGINT, in the order that keeps what it accepted and never
 * closes the warehouse under work still running in it: the embedded warehouse (chDB) crashes the
 * process by signal when it exits with a query or an insert still running in the engine, which
 * supervisors (and npm, which exits by the same signal) report as a crash, not a stop.
 *
 *  1. Stop accepting and stop the scheduler; wait for the start-up still under way.
 *  2. Requests in flight get their answer within the grace; then connections are cut.
 *  3. The collector writes what it buffered in the time left.
 *  4. Running jobs end, within their limit.
 *  5. The warehouse refuses new calls, waits for the running ones (the handlers the grace cut, a
 *     job past its limit, the start-up's query), then closes. Exit 0.
 *
 * The returned function runs once; a second signal during a shutdown changes nothing.
 */
export function createShutdown(deps: ShutdownDeps): (signal: string) => Promise<void> {
  const limits = deps.limits ?? SHUTDOWN_LIMITS
  const exit = deps.exit ?? ((code: number) => process.exit(code))
  let begun = false
  return async (signal) => {
    if (begun) return
    begun = true
    const { logger, server, collector } = deps
    logger.info({ signal }, 'shutting down')
    const started = performance.now()
    const until = (ms: number) => Math.max(0, ms - (performance.now() - started))
    const deadline = setTimeout(() => {
      logger.error(
        `shutdown took longer than ${limits.totalMs / 1000} s; exiting (what was not written stays in the write-ahead log)`,
      )
      exit(1)
    }, limits.totalMs)
    deadline.unref()

    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    if ('closeIdleConnections' in server) server.closeIdleConnections()
    // No job starts any more; the running ones are told to end (`stopping()`) and waited for below.
    const jobsDone = deps.scheduler()?.stop() ?? Promise.resolve()
    const [, startedUp] = await Promise.all([
      settlesWithin(closed, limits.graceMs),
      settlesWithin(deps.startup() ?? Promise.resolve(), limits.graceMs),
    ])
    // Its query is in flight in the warehouse, which waits for it before closing.
    if (!startedUp) logger.warn('the start-up is still under way; shutting down without it')
    if ('closeAllConnections' in server) server.closeAllConnections()

    // Write what the warehouse takes in the time left; the rest stays in the log for the next start.
    await collector.close(Math.max(500, until(limits.totalMs - limits.closeMs - 500)))

    if (!(await settlesWithin(jobsDone, until(limits.jobsMs)))) {
      logger.warn('jobs still running; the warehouse refuses their next query')
    }

    try {
      await deps.warehouse.close({ waitMs: until(limits.totalMs - 250) })
    } catch (error) {
      // Left open: closing chDB under a running call crashes the process. What was not written is
      // in the write-ahead log for the next start.
      clearTimeout(deadline)
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'exiting without closing the warehouse',
      )
      exit(1)
      return
    }
    clearTimeout(deadline)
    logger.info({ ms: Math.round(performance.now() - started), left: collector.batcher.buffered }, 'stopped')
    exit(0)
  }
}
