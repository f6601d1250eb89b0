import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type ClickHouseServer,
  clickHouseServerAvailable,
  freePort,
  startClickHouseServer,
} from '../../load/lib/clickhouse-server.ts'
import {
  countProblems,
  emptyLoad,
  type LoadResult,
  mergeLoad,
  serverPathCounts,
  startLoad,
} from '../reliability/support.ts'
import { CHROME_UA } from '../support/http.ts'
import { type ServiceProcess, sleep, spawnService, stopService } from '../support/process.ts'
import { runToExit } from '../support/run.ts'

/**
 * `WORKERS` in server mode, as real processes against a real clickhouse-server (Debian's 18.16):
 * one port shared by the workers, `/metrics` with every worker's series from any of them, a
 * worker killed under load replaced without losing what it acknowledged, and a lower `WORKERS`
 * after a stop that left events in the logs of workers that no longer run.
 */

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-workers-'))
  dirs.push(dir)
  return dir
}

/** The pid of the worker the primary started as `TALLY_WORKER=n`. */
function workerPid(primary: number, n: number): number | undefined {
  const list = `/proc/${primary}/task/${primary}/children`
  if (!existsSync(list)) return undefined
  const children = readFileSync(list, 'utf8').trim().split(/\s+/)
  return children.map(Number).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`TALLY_WORKER=${n}`)
    } catch {
      return false
    }
  })
}

async function waitForWorkers(service: ServiceProcess, count: number): Promise<void> {
  await expect
    .poll(async () => (await service.metrics())[`tally_buffered_events{worker="${count}"}`], {
      timeout: 30_000,
    })
    .toBe(0)
}

const counted = async (server: ClickHouseServer, prefix: string, load: LoadResult): Promise<string[]> =>
  countProblems(prefix, load, await serverPathCounts(server.url, prefix))

const walFiles = (dir: string): number =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.wal')).length : 0

describe('the service as several processes (WORKERS), starting', () => {
  it('stops with exit code 1 and the reason when a worker cannot start', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`
    // A warehouse that cannot be reached no longer stops a start (docs/guarantees.md); a data
    // directory that is a file does: no write-ahead log can be opened in it.
    const notADirectory = join(tempDir(), 'file')
    writeFileSync(notADirectory, '')
    const { code, output } = await runToExit(['--import', 'tsx', 'server/main.ts'], {
      ...process.env,
      DATA_DIR: notADirectory,
      CLICKHOUSE_URL: closed,
      WORKERS: '2',
      LOG_LEVEL: 'warn',
    })
    expect(code, output).toBe(1)
    expect(output).toContain('tally: failed to start')
    expect(output).toContain('a worker stopped while the service was starting; stopping')
  }, 60_000)
})

describe.skipIf(!clickHouseServerAvailable())('the service as several processes (WORKERS)', () => {
  it('shares one port, shows every worker on /metrics, replaces a killed worker without losing what it acknowledged, and stops on SIGTERM', async () => {
    const server = await startClickHouseServer()
    if (!server) throw new Error('clickhouse-server is not installed')
    try {
      const env = {
        DATA_DIR: tempDir(),
        CLICKHOUSE_URL: server.url,
        CLICKHOUSE_DATABASE: 'tally',
        WORKERS: '2',
        FLUSH_INTERVAL_MS: '200',
      }
      const service = await spawnService(env)
      await waitForWorkers(service, 2)
      const primary = service.child.pid as number
      const total = emptyLoad()
      // Eight keep-alive connections: the primary hands them to the workers in turn.
      const load = startLoad({ url: service.url, prefix: 'k', concurrency: 8, perRequest: 2, pauseMs: 5 })
      await sleep(1_500)
      const before = await service.metrics()
      expect(before['tally_events_accepted_total{worker="1"}']).toBeGreaterThan(0)
      expect(before['tally_events_accepted_total{worker="2"}']).toBeGreaterThan(0)
      const health = await service.health()
      const buffer = health.body.checks.find((check) => check.name === 'write_buffer')
      expect([1, 2]).toContain(buffer?.detail.worker)
      const text = await (await fetch(`${service.url}/metrics`)).text()
      const helps = text.split('\n').filter((line) => line.startsWith('# HELP '))
      expect(helps.length).toBeGreaterThan(10)
      expect(new Set(helps).size).toBe(helps.length)

      // Killed outright: what it acknowledged is in its log, which its replacement sends on.
      const killed = workerPid(primary, 2)
      expect(killed).toBeGreaterThan(0)
      process.kill(killed as number, 'SIGKILL')
      await expect
        .poll(() => workerPid(primary, 2), { timeout: 20_000 })
        .toSatisfy((pid) => pid !== undefined && pid !== killed)
      await waitForWorkers(service, 2)
      expect(service.output()).toContain('a worker stopped; starting a new one in its place')
      mergeLoad(total, await load.stop())
      // Connections are handed out as they open: new ones reach the new worker too.
      const again = startLoad({
        url: service.url,
        prefix: 'k',
        first: 1_000_000,
        concurrency: 8,
        perRequest: 2,
        pauseMs: 5,
        maxMs: 1_500,
      })
      mergeLoad(total, await again.done)
      const after = await service.metrics()
      expect(after['tally_events_accepted_total{worker="2"}']).toBeGreaterThan(0)

      const workers = [workerPid(primary, 1), workerPid(primary, 2)]
      const stopped = await stopService(service)
      expect(stopped.code, service.output()).toBe(0)
      // SIGTERM wrote everything: no log holds a batch.
      expect(
        walFiles(join(env.DATA_DIR, 'wal')) + walFiles(join(env.DATA_DIR, 'wal-2')),
        service.output(),
      ).toBe(0)
      for (const pid of workers) expect(existsSync(`/proc/${pid}`), `worker ${pid} still running`).toBe(false)
      expect(total.acked.size).toBeGreaterThan(500)
      const problems = await counted(server, 'k', total)
      expect(problems.slice(0, 20), `${problems.length} problems:\n${service.output().slice(-6000)}`).toEqual(
        [],
      )
      // Two processes, one pipeline: no stored table holds the client's address or user agent.
      const tables = await (
        await fetch(
          `${server.url}/?query=${encodeURIComponent("SELECT name FROM system.tables WHERE database = 'tally' AND engine LIKE '%MergeTree' FORMAT TSV")}`,
        )
      ).text()
      const names = tables.trim().split('\n')
      expect(names.length).toBeGreaterThan(10)
      for (const name of names) {
        // Table names come from the warehouse's own catalogue.
        const dump = await (
          await fetch(
            `${server.url}/?database=tally&query=${encodeURIComponent(`SELECT * FROM ${name} FORMAT TSV`)}`,
          )
        ).text()
        expect(dump, name).not.toContain('127.0.0.1')
        expect(dump, name).not.toContain(CHROME_UA.slice(0, 40))
      }
      console.info(
        `[workers] ${total.acked.size} acknowledged by 2 workers, one killed and replaced; ` +
          `${total.unknown.size} unanswered when it was killed; every acknowledged event counted once`,
      )
    } finally {
      await server.dispose()
    }
  }, 120_000)

  it('sends on, after WORKERS is lowered, what workers that no longer run left in their logs', async () => {
    const server = await startClickHouseServer()
    if (!server) throw new Error('clickhouse-server is not installed')
    try {
      const dataDir = tempDir()
      const env = {
        DATA_DIR: dataDir,
        CLICKHOUSE_URL: server.url,
        CLICKHOUSE_DATABASE: 'tally',
        FLUSH_INTERVAL_MS: '200',
      }
      const three = await spawnService({ ...env, WORKERS: '3' })
      await waitForWorkers(three, 3)
      // The warehouse goes away under load, so the workers' logs keep what they acknowledged.
      const load = startLoad({ url: three.url, prefix: 'l', concurrency: 9, perRequest: 2, pauseMs: 10 })
      await sleep(1_000)
      await server.stop()
      await sleep(1_500)
      const total = await load.stop()
      expect((await stopService(three)).code, three.output()).toBe(0)
      expect(walFiles(join(dataDir, 'wal-2'))).toBeGreaterThan(0)
      expect(walFiles(join(dataDir, 'wal-3'))).toBeGreaterThan(0)

      await server.start()
      const one = await spawnService(env)
      await expect
        .poll(() => existsSync(join(dataDir, 'wal-2')) || existsSync(join(dataDir, 'wal-3')), {
          timeout: 30_000,
        })
        .toBe(false)
      expect((await stopService(one)).code, one.output()).toBe(0)
      expect(total.acked.size).toBeGreaterThan(100)
      const problems = await counted(server, 'l', total)
      expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([])
    } finally {
      await server.dispose()
    }
  }, 120_000)
})
