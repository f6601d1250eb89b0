import { join } from 'node:path'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'
import { utcDay } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import type { Config } from '../schemas/config.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { createSaltCache } from '../warehouse/salt-cache.ts'
import { createSaltStore, type SaltStore } from '../warehouse/salts.ts'
import { beaconRoutes } from './beacon/routes.ts'
import { createCountryLookup, createUaClassifier } from './coarsen.ts'
import { createContributionBound } from './contribution-bound.ts'
import { collectorCounters } from './counters.ts'
import { metricsRoute } from './metrics-route.ts'
import { createEventPipeline, type Dropped } from './pipeline.ts'
import { createRateLimiter } from './rate-limit.ts'
import { eventRoutes } from './routes/event.ts'
import { eventNodeRoute, type NodeIngest } from './routes/event-node.ts'
import { createScrubCache } from './scrub-cache.ts'
import { createVisitorsNow } from './visitors-now.ts'
import type { Batcher } from './write-buffer/batcher.ts'
import { createWriteBuffer } from './write-buffer/write-buffer.ts'

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
    | 'privacy'
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
  /**
   * The same route on `node:http` directly, for the server to try before the Hono app: it takes the
   * common case of `POST /api/event` and leaves the rest (preflight, refusals decided by the body's
   * framing) to `ingest`. See routes/event-node.ts.
   */
  ingestNode: NodeIngest
  /** The beacon script and `/metrics`. */
  routes: Hono
  salts: SaltStore
  /** Distinct visitors of the last minutes, per site, in this process's memory (visitors-now.ts). */
  visitorsNow: (site: string) => number
  metrics: Metrics
  batcher: Batcher
  health(): { name: string; status: 'ok' | 'degraded'; detail: Record<string, unknown> }
  /** Stops taking events and writes what it can to the warehouse within `deadlineMs`; the rest stays in the log. */
  close(deadlineMs?: number): Promise<void>
}

/**
 * The collector room: event intake, the beacon, `/metrics`, and the write buffer behind them.
 * This only composes them: the privacy pipeline (pipeline.ts), the route (routes/accept.ts, with its
 * Hono and node:http adapters routes/event.ts and routes/event-node.ts), the
 * write buffer (write-buffer/) and the counters (counters.ts) each live in their own files.
 */
export function createCollector(deps: CollectorDeps): Collector {
  const now = deps.now ?? (() => new Date())
  const metrics = deps.metrics ?? new Metrics()
  const count = collectorCounters(metrics)
  const buffer = createWriteBuffer({ ...deps, metrics, counters: count, now })
  const rateLimiter =
    deps.config.rateLimit > 0 ? createRateLimiter({ perMinute: deps.config.rateLimit }) : undefined
  metrics.gauge(
    'tally_rate_limited_clients',
    'Clients with a rate-limit bucket in memory.',
    () => rateLimiter?.clients ?? 0,
  )

  // A server can be away while the collector runs; the embedded warehouse lives in this process.
  const salts = createSaltStore(deps.warehouse, {
    now,
    ...(deps.warehouse.kind === 'server'
      ? { cache: createSaltCache(join(deps.config.dataDir, 'salts')) }
      : {}),
  })
  const saltFor = (at: Date) => {
    const day = utcDay(at)
    salts.evictBefore(day)
    return salts.forDay(day)
  }

  const visitorsNow = createVisitorsNow({ now })
  const routeDeps = {
    visitorsNow,
    processEvent: createEventPipeline({
      sites: deps.config.sites,
      queryParams: deps.config.queryParams,
      paymentHosts: deps.config.paymentHosts,
      classifyUa: createUaClassifier(),
      lookupCountry: createCountryLookup({ trustProxy: deps.config.trustProxy }),
      scrubUrl: createScrubCache(),
    }),
    saltFor,
    // DP_EPSILON=off switches the release machinery off: no noise and no contribution bound.
    bound: deps.config.privacy.mechanism === 'off' ? undefined : createContributionBound(),
    batcher: buffer.batcher,
    allowedOrigins: new Set([...deps.config.sites.values()].flat()),
    trustProxy: deps.config.trustProxy,
    rateLimiter,
    requestTimeoutMs: deps.config.requestTimeoutMs,
    now,
    count: {
      received: (n: number) => count.received({}, n),
      accepted: (n: number) => count.accepted({}, n),
      dropped: (reason: Dropped['drop'], n: number) => count.dropped({ reason }, n),
      refused: (reason: 'rate_limited' | 'timeout' | 'unavailable', n: number) =>
        count.refused({ reason }, n),
      clipped: (n: number) => count.clipped({}, n),
      visitsCut: (n: number) => count.visitsCut({}, n),
    },
  }
  const ingest = eventRoutes({
    ...routeDeps,
    remoteAddress: (c) => {
      try {
        return getConnInfo(c).remote.address
      } catch {
        return undefined
      }
    },
  })
  const ingestNode = eventNodeRoute({ ...routeDeps, logger: deps.logger })
  const routes = new Hono()
    .route('/', beaconRoutes())
    .route('/', metricsRoute({ metrics, adminToken: deps.config.tokens.admin, render: deps.renderMetrics }))

  return {
    ingest,
    ingestNode,
    routes,
    salts,
    visitorsNow: (site) => visitorsNow.count(site),
    metrics,
    batcher: buffer.batcher,
    health: buffer.health,
    close: buffer.close,
  }
}
