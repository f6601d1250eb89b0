import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { afterAll, describe, expect, it } from 'vitest'
import { createCollector } from '../../collector/collector.ts'
import { createLogger } from '../../core/logger.ts'
import { clickHouseServerAvailable, startClickHouseServer } from '../../load/lib/clickhouse-server.ts'
import { loadConfig } from '../../schemas/config.ts'
import { createApp } from '../../server/app.ts'
import { openWarehouse } from '../../warehouse/client.ts'
import { connectWarehouse } from '../../warehouse/connect.ts'
import { postEvents } from '../support/http.ts'
import { type HealthBody, spawnService, stopService } from '../support/process.ts'
import { drained, serverPathCounts } from './support.ts'

/**
 * Server mode against a real clickhouse-server (Debian's 18.16) that is down when Tally starts:
 * the service starts anyway, answers 202 into its write-ahead log, hashes visitors with the salts
 * it cached while the server was there (today's, and tomorrow's, created a day ahead), says
 * `degraded` with the reason on /healthz, and once the server is back migrates, writes the
 * backlog and runs its jobs. Every acknowledged event is counted once.
 */

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-no-warehouse-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const pageviews = (prefix: string, names: string[]) => ({
  events: names.map((name) => ({
    type: 'pageview',
    site: 'demo',
    url: `http://localhost:8787/${prefix}/${name}`,
  })),
})
const names = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`)

/** Posts one request per name and returns the statuses it got. */
/**
 * Back to normal: the warehouse reached and migrated, every check ok. The privacy check is left
 * out: these durability tests run with DP_EPSILON=off, which /healthz rightly reports as degraded.
 */
const ready = ({ body }: { body: HealthBody }): boolean =>
  body.warehouse?.reachable === true &&
  body.warehouse.reason === undefined &&
  body.checks.every((check) => check.name === 'privacy' || check.status === 'ok')

async function send(url: string, prefix: string, all: string[]): Promise<number[]> {
  const statuses: number[] = []
  for (const name of all) statuses.push((await postEvents(url, pageviews(prefix, [name]))).status)
  return statuses
}

const cachedDays = (dataDir: string): string[] => {
  try {
    return readdirSync(join(dataDir, 'salts')).sort()
  } catch {
    return []
  }
}

type StoredSalt = { day: string; salt: string; created_at: string }
async function storedSalts(url: string): Promise<StoredSalt[]> {
  const warehouse = await openWarehouse({
    kind: 'server',
    url,
    username: 'default',
    password: '',
    database: 'tally',
  })
  try {
    const result = await warehouse.client.query({
      query: 'SELECT toString(day) AS day, salt, toString(created_at) AS created_at FROM salts',
      format: 'JSONEachRow',
    })
    return await result.json<StoredSalt>()
  } finally {
    await warehouse.close()
  }
}

/** The salt the warehouse gives a day: the first created (as warehouse/salts.ts reads it). */
const winner = (salts: StoredSalt[], day: string) =>
  salts
    .filter((row) => row.day === day)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.salt.localeCompare(b.salt))[0]?.salt

describe.skipIf(!clickHouseServerAvailable())('a collector whose warehouse is away', () => {
  it('starts without it, takes events (all 202), and counts each once when the server is back', async () => {
    const server = await startClickHouseServer()
    if (!server) throw new Error('clickhouse-server is not installed')
    const dataDir = tempDir()
    const env = {
      DATA_DIR: dataDir,
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: 'tally',
      FLUSH_INTERVAL_MS: '200',
    }
    try {
      // A first run with the server there: its start-up rotation reads today's salt and creates
      // tomorrow's.
      const first = await spawnService(env)
      // It listens at once; migrations run next, and a collector that never had a salt has none.
      await expect.poll(async () => ready(await first.health()), { timeout: 30_000 }).toBe(true)
      expect(await send(first.url, 'nw', ['warm'])).toEqual([202])
      await drained(first)
      await expect.poll(() => cachedDays(dataDir).length, { timeout: 10_000 }).toBe(2)
      expect((await stopService(first)).code).toBe(0)

      await server.stop()
      const second = await spawnService(env)
      try {
        const down = (await second.health()).body as { status: string; warehouse?: Record<string, unknown> }
        expect(down.status).toBe('degraded')
        expect(down.warehouse).toMatchObject({
          reachable: false,
          reason: expect.stringMatching(/unreachable/),
        })

        const sent = names('e', 40)
        expect(await send(second.url, 'nw', sent)).toEqual(sent.map(() => 202))

        await server.start()
        await drained(second, 90_000)
        await expect.poll(async () => ready(await second.health()), { timeout: 30_000 }).toBe(true)
        const counts = await serverPathCounts(server.url, 'nw')
        expect(Object.fromEntries(counts)).toEqual(
          Object.fromEntries(['warm', ...sent].map((name) => [`/nw/${name}`, 1])),
        )
      } finally {
        expect((await stopService(second)).code).toBe(0)
      }
    } finally {
      await server.dispose()
    }
  })

  it('hashes across midnight with the salt created a day ahead, and agrees with the warehouse', async () => {
    const server = await startClickHouseServer()
    if (!server) throw new Error('clickhouse-server is not installed')
    const dataDir = tempDir()
    const config = loadConfig({
      DATA_DIR: dataDir,
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: 'tally',
      SITES: 'demo=http://localhost:8787',
      RATE_LIMIT: '0',
      LOG_LEVEL: 'silent',
      FLUSH_INTERVAL_MS: '200',
    })
    const logger = createLogger('silent')
    let clock = new Date('2031-03-04T23:58:00Z')

    // The collector as server/main.ts composes it, on a real socket, with a controlled clock.
    const start = async () => {
      const link = connectWarehouse(config.warehouse, { logger, retryMs: 200 })
      const collector = createCollector({ config, warehouse: link.warehouse, logger, now: () => clock })
      const app = createApp({
        logger,
        config,
        collector,
        health: { warehouse: link.warehouse, migrations: link.migrations, notReady: link.reason },
      })
      const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
      await new Promise<void>((resolve) => http.once('listening', () => resolve()))
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
      return {
        url,
        link,
        collector,
        close: async () => {
          await new Promise<void>((resolve) => http.close(() => resolve()))
          await collector.close()
          await link.close()
        },
      }
    }

    try {
      const before = await start()
      await before.link.ready
      // What the scheduler's start-up rotation does: today's salt, and tomorrow's a day ahead.
      await before.collector.salts.rotate(clock)
      expect(await send(before.url, 'mid', ['warm'])).toEqual([202])
      await expect
        .poll(() => cachedDays(dataDir), { timeout: 10_000 })
        .toEqual(['2031-03-04.salt', '2031-03-05.salt'])
      await before.collector.batcher.flush()
      await before.close()

      await server.stop()
      const after = await start()
      try {
        clock = new Date('2031-03-04T23:59:30Z')
        const late = names('late', 10)
        expect(await send(after.url, 'mid', late)).toEqual(late.map(() => 202))
        // Midnight passes while the warehouse is still away.
        clock = new Date('2031-03-05T00:00:30Z')
        const early = names('early', 10)
        expect(await send(after.url, 'mid', early)).toEqual(early.map(() => 202))
        const health = (await (await fetch(`${after.url}/healthz`)).json()) as {
          status: string
          warehouse: { reason?: string }
        }
        expect(health.status).toBe('degraded')
        expect(health.warehouse.reason).toMatch(/unreachable/)
        // The day that ended has no salt on disk any more.
        await after.collector.salts.rotate(clock).catch(() => {})
        expect(cachedDays(dataDir)).toEqual(['2031-03-05.salt'])

        await server.start()
        await after.link.ready
        const drainedAfter = async () => {
          await after.collector.batcher.flush()
          return after.collector.batcher.buffered
        }
        await expect.poll(drainedAfter, { timeout: 60_000 }).toBe(0)
        const counts = await serverPathCounts(server.url, 'mid')
        expect(Object.fromEntries(counts)).toEqual(
          Object.fromEntries(['warm', ...late, ...early].map((name) => [`/mid/${name}`, 1])),
        )
        // The salt the collector hashed with after midnight is the one every collector reads.
        const stored = await storedSalts(server.url)
        expect(winner(stored, '2031-03-05')).toBe(
          readFileSync(join(dataDir, 'salts', '2031-03-05.salt'), 'utf8').trim(),
        )
        // The rotation, now that the warehouse is back, creates the next day's salt ahead.
        await after.collector.salts.rotate(clock)
        expect(cachedDays(dataDir)).toEqual(['2031-03-05.salt', '2031-03-06.salt'])
        expect(winner(await storedSalts(server.url), '2031-03-06')).toBeDefined()
      } finally {
        await after.close()
      }
    } finally {
      await server.dispose()
    }
  })
})
