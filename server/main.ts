import { serve } from '@hono/node-server'
import { rotateSalts } from '../aggregator/jobs/rotate-salts.ts'
import { startScheduler } from '../aggregator/scheduler.ts'
import { createCollector } from '../collector/collector.ts'
import { ConfigError, loadConfig } from '../schemas/config.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { migrate } from '../warehouse/migrate.ts'
import { createApp } from './app.ts'
import { createLogger } from './logger.ts'

/** `npm start`: config, warehouse, migrations, then the collector on PORT. */
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
  const logger = createLogger(config.logLevel)
  const warehouse = await openWarehouse(config.warehouse)
  const migrations = await migrate(warehouse)
  logger.info(
    {
      warehouse: warehouse.kind,
      version: await warehouse.version(),
      migrationsApplied: migrations.applied.length,
    },
    'warehouse ready',
  )
  const collector = createCollector({ config, warehouse, logger })
  const scheduler = startScheduler(
    [
      {
        name: 'rotate-salts',
        schedule: '0 0 * * *',
        runAtStart: true,
        run: (now) => rotateSalts(warehouse, collector.salts, now),
      },
    ],
    logger,
  )
  const app = createApp({ logger, collector, health: { warehouse, migrations } })

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ port: info.port }, `tally listening on http://localhost:${info.port}`)
  })

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    deadline.unref()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await scheduler.stop()
    await collector.close()
    await warehouse.close()
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error) => {
  console.error(`tally: failed to start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
