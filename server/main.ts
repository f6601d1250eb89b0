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
import type { MigrationReport } from '../warehouse/migrate.ts'
import { createApp } from './app.ts'
import { serverLimits } from './http-limits.ts'
import { ingestFirst } from './ingest-first.ts'
import { createShutdown } from './shutdown.ts'
import { workerMetrics } from './worker-metrics.ts'
import { runPrimary } from './workers.ts'

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
  let startup: Promise<void> | undefined
  // Jobs read and write the warehouse: they start once it is there and migrated. A shutdown waits
  // for this start-up (its version query runs in the warehouse) and stops the scheduler it started.
  const startJobs = async (migrations: MigrationReport) => {
    const version = await warehouse.version()
    logger.info(
      { warehouse: warehouse.kind, version, migrationsApplied: migrations.applied.length },
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
  }
  void link.ready.then(
    (migrations) => {
      if (stopping) return
      startup = startJobs(migrations).catch((error: unknown) => {
        // A warehouse that a shutdown is closing refuses the version query: nothing to report then.
        if (!stopping)
          logger.error({ err: error instanceof Error ? error.message : String(error) }, 'start-up failed')
      })
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

  const shutdown = createShutdown({
    logger,
    server,
    collector,
    warehouse,
    startup: () => startup,
    scheduler: () => scheduler,
  })
  const onSignal = (signal: NodeJS.Signals) => {
    // Set before anything else runs: a start-up still under way then starts no scheduler.
    stopping = true
    void shutdown(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

main().catch((error) => {
  console.error(`tally: failed to start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
