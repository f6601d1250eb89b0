import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import type { Config } from '../schemas/config.ts'
import type { Logger } from '../server/logger.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { insertEvents } from '../warehouse/insert-events.ts'
import { type Batcher, createBatcher } from './batcher.ts'
import { beaconRoutes } from './beacon/routes.ts'
import { utcDay } from './clock.ts'
import { createCountryLookup, createUaClassifier } from './coarsen.ts'
import { Metrics } from './metrics.ts'
import { createEventPipeline, DROP_REASONS } from './pipeline.ts'
import { eventRoutes } from './routes/event.ts'
import { createSaltStore, type SaltStore } from './salts.ts'

export type CollectorDeps = {
  config: Pick<Config, 'sites' | 'queryParams' | 'flushIntervalMs' | 'trustProxy'>
  warehouse: Warehouse
  logger: Logger
  metrics?: Metrics
  now?: () => Date
}

export type Collector = {
  routes: Hono
  salts: SaltStore
  metrics: Metrics
  batcher: Batcher
  health(): { name: string; status: 'ok' | 'degraded'; detail: Record<string, unknown> }
  close(): Promise<void>
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

  const batcher = createBatcher({
    write: (rows) => insertEvents(deps.warehouse, rows),
    intervalMs: deps.config.flushIntervalMs,
    onFlush: (rows) => flushed({}, rows),
    onError: (error, rows) => {
      flushErrors()
      deps.logger.warn(
        { rows, err: error instanceof Error ? error.message : String(error) },
        'flush failed; will retry',
      )
    },
  })
  metrics.gauge('tally_buffered_events', 'Events waiting in the write buffer.', () => batcher.buffered)

  const salts = createSaltStore(deps.warehouse, { now })
  const saltFor = (at: Date) => {
    const day = utcDay(at)
    salts.evictBefore(day)
    return salts.forDay(day)
  }

  const allowedOrigins = new Set([...deps.config.sites.values()].flat())
  const routes = new Hono()
    .route('/', beaconRoutes())
    .route(
      '/',
      eventRoutes({
        processEvent: createEventPipeline({
          sites: deps.config.sites,
          queryParams: deps.config.queryParams,
          classifyUa: createUaClassifier(),
          lookupCountry: createCountryLookup({ trustProxy: deps.config.trustProxy }),
        }),
        saltFor,
        batcher,
        allowedOrigins,
        trustProxy: deps.config.trustProxy,
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
        },
      }),
    )
    .get('/metrics', (c) => c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }))

  return {
    routes,
    salts,
    metrics,
    batcher,
    health: () => ({
      name: 'write_buffer',
      status: batcher.healthy ? 'ok' : 'degraded',
      detail: { buffered: batcher.buffered },
    }),
    close: () => batcher.close(),
  }
}
