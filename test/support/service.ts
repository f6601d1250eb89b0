import { mkdtempSync, rmSync } from 'node:fs'
import type { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { type Collector, createCollector } from '../../collector/collector.ts'
import { createLogger } from '../../core/logger.ts'
import { type Config, loadConfig } from '../../schemas/config.ts'
import { type App, createApp } from '../../server/app.ts'
import { ingestFirst } from '../../server/ingest-first.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { migrate } from '../../warehouse/migrate.ts'

export type TestService = {
  url: string
  /** The composed app, for the tests that call it in-process beside the socket. */
  app: Hono
  config: Config
  collector: Collector
  /** Writes everything buffered to the warehouse now. */
  flush(): Promise<void>
  close(): Promise<void>
}

/**
 * The real service (collector, routes, pipeline, write buffer) on a real socket on 127.0.0.1,
 * over the warehouse the test opened. The environment is the same one `npm start` reads.
 */
export async function startService(
  warehouse: Warehouse,
  env: Record<string, string> = {},
  options: {
    now?: () => Date
    port?: number
    /**
     * The server's `createServer`; by default `ingestFirst` with the collector's node:http route
     * and the app's (`npm start`'s composition).
     */
    createServer?: (collector: Collector, app: App) => typeof createServer | undefined
    /** As one of `WORKERS` processes: its own write-ahead log (`wal-<n>`) in a shared DATA_DIR. */
    worker?: { index: number; count: number }
  } = {},
): Promise<TestService> {
  // The collector's write-ahead log lives under DATA_DIR: a fresh one per service unless given.
  const ownDir = env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'tally-service-'))
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    FLUSH_INTERVAL_MS: '60000',
    // Durability tests count every event one client sends: the release machinery, and with it the
    // visitor-day contribution bound, is off (tested in test/collector/contribution-bound.test.ts).
    DP_EPSILON: 'off',
    ...(ownDir ? { DATA_DIR: ownDir } : {}),
    ...env,
  })
  const logger = createLogger(config.logLevel)
  const migrations = await migrate(warehouse)
  const collector = createCollector({
    config,
    warehouse,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.worker ? { worker: options.worker } : {}),
  })
  const app = createApp({ logger, config, collector, health: { warehouse, migrations } })
  // A fixed port lets a test name the service's own origin in SITES before it starts.
  const server = serve({
    fetch: app.fetch,
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    ...serverFactory(
      options.createServer
        ? options.createServer(collector, app)
        : ingestFirst(collector.ingestNode, ...app.nodeRoutes),
    ),
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve())
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    collector,
    flush: () => collector.batcher.flush(),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await collector.close()
      if (ownDir) rmSync(ownDir, { recursive: true, force: true })
    },
  }
}

const serverFactory = (factory: typeof createServer | undefined) => (factory ? { createServer: factory } : {})
