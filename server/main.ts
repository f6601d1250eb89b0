import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { serve } from '@hono/node-server'
import { aggregatorJobs } from '../aggregator/job-list.ts'
import { startScheduler } from '../aggregator/scheduler.ts'
import { createCollector } from '../collector/collector.ts'
import { createLogger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { ConfigError, loadConfig } from '../schemas/config.ts'
import { connectWarehouse } from '../warehouse/connect.ts'
import { createApp } from './app.ts'
import { serverLimits } from './http-limits.ts'
import { ingestFirst } from './ingest-first.ts'
import { workerMetrics } from './worker-metrics.ts'
import { runPrimary } from './workers.ts'

const SHUTDOWN_MS = 10_000
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

/**
 * `npm start`: config, then the collector on PORT; with `WORKERS` above 1, this process starts
 * that many copies of the service instead and shares the port between them. A ClickHouse server
 * that cannot be reached does not stop the start: the collector takes events into its
 * write-ahead log, and migrations and the scheduled jobs run once the server is back
 * (warehouse/connect.ts). The embedded warehouse is opened and migrated before anything listens.
 */
async function main() {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`tally: ${error.message}`)
      process.exit(1)
    }
    throw error
  }
  const root = createLogger(config.logLevel)
  const workers = config.workers === 'auto' ? availableParallelism() : config.workers
  if (workers > 1 && cluster.isPrimary) {
    runPrimary({ workers, logger: root })
    return
  }
  const worker = config.worker ? { index: config.worker, count: workers } : undefined
  const logger = worker ? root.child({ worker: worker.index }) : root
  // A stray rejection is a bug to fix, not a reason to drop what is buffered: log it and go on.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection')
  })
  const link = connectWarehouse(config.warehouse, { logger })
  if (config.warehouse.kind === 'embedded') await link.ready
  // With the server there, start migrated as before; without it, start now and catch up later.
  await link.firstAttempt
  const warehouse = link.warehouse
  if (config.privacy.mechanism === 'off') logger.error({ privacy: config.privacy }, config.privacy.warning)
  else logger.info({ privacy: config.privacy }, 'released figures are differentially private per visitor-day')
  const metrics = new Metrics()
  const collector = createCollector({
    config,
    warehouse,
    logger,
    metrics,
    failpoint: config.failpoint,
    worker,
    ...(worker ? { renderMetrics: workerMetrics(worker.index, metrics) } : {}),
  })
  let stopping = false
  let scheduler: ReturnType<typeof startScheduler> | undefined
  // Jobs read and write the warehouse: they start once it is there and migrated.
  void link.ready.then(
    async (migrations) => {
      logger.info(
        {
          warehouse: warehouse.kind,
          version: await warehouse.version(),
          migrationsApplied: migrations.applied.length,
        },
        'warehouse ready',
      )
      if (stopping) return
      scheduler = startScheduler(
        aggregatorJobs({
          warehouse,
          config,
          metrics: collector.metrics,
          salts: collector.salts,
          leads: (worker?.index ?? 1) === 1,
        }),
        logger,
      )
    },
    () => {},
  )
  const app = createApp({
    logger,
    config,
    collector,
    health: { warehouse, migrations: link.migrations, notReady: link.reason },
  })

  const server = serve(
    {
      fetch: app.fetch,
      port: config.port,
      hostname: config.host,
      serverOptions: serverLimits(config.requestTimeoutMs),
      createServer: ingestFirst(collector.ingestNode, ...app.nodeRoutes),
    },
    (info) => {
      logger.info({ port: info.port }, `tally listening on http://localhost:${info.port}`)
    },
  )

  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const started = Date.now()
    const deadline = setTimeout(() => {
      logger.error(
        'shutdown took longer than 10 s; exiting (what was not written stays in the write-ahead log)',
      )
      process.exit(1)
    }, SHUTDOWN_MS)
    deadline.unref()
    // Stop accepting; requests in flight get their answer (their events are being fsynced), then
    // keep-alive connections that are still open are cut. No job starts any more; running ones end.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    const jobsDone = scheduler?.stop()
    if ('closeIdleConnections' in server) server.closeIdleConnections()
    await Promise.race([closed, sleep(2_000)])
    if ('closeAllConnections' in server) server.closeAllConnections()
    // Write what the warehouse takes in the time left; the rest stays in the log for the next start.
    await collector.close(Math.max(500, SHUTDOWN_MS - (Date.now() - started) - 2_500))
    // The embedded warehouse must not be closed under a running query (chDB crashes), so a job
    // still running is waited for as long as the deadline allows.
    await jobsDone
    await warehouse.close()
    logger.info({ ms: Date.now() - started, left: collector.batcher.buffered }, 'stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error) => {
  console.error(`tally: failed to start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
