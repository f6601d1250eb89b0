import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { aggregatorJobs } from '../../aggregator/job-list.ts'
import { Metrics } from '../../core/metrics.ts'
import { loadConfig } from '../../schemas/config.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { createSaltStore } from '../../warehouse/salts.ts'
import { postEvents } from '../support/http.ts'
import { sleep, spawnService, stopService } from '../support/process.ts'
import {
  countProblems,
  drained,
  emptyLoad,
  eventName,
  mergeLoad,
  PATH_COUNTS,
  percentile,
  queryEmbedded,
  startLoad,
} from './support.ts'

/**
 * `kill -9` of the real service process, twice in the middle of a load and once exactly between
 * a warehouse insert and the truncation of the log; after each restart every acknowledged event
 * is in the warehouse exactly once.
 */

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-crash-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const env = (dataDir: string) => ({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '200' })

async function counts(dataDir: string, prefix: string): Promise<Map<string, number>> {
  const rows = await queryEmbedded<{ path: string; n: number }>(dataDir, PATH_COUNTS(prefix))
  return new Map(rows.map((row) => [row.path, Number(row.n)]))
}

describe('kill -9 of the service', () => {
  it('in the middle of a load, twice: every acknowledged event is counted exactly once', async () => {
    const dataDir = tempDir()
    const total = emptyLoad()
    let first = 0
    const replays: number[] = []
    for (const killAfter of [1_700, 2_300]) {
      const service = await spawnService(env(dataDir))
      if (replays.length > 0 || first > 0) replays.push(await drained(service))
      const load = startLoad({ url: service.url, prefix: 'k', concurrency: 16, perRequest: 3, first })
      await sleep(killAfter)
      service.child.kill('SIGKILL')
      await service.exited
      const result = await load.stop()
      mergeLoad(total, result)
      first += 1_000_000
      expect(result.acked.size, service.output()).toBeGreaterThan(300)
    }
    const service = await spawnService(env(dataDir))
    replays.push(await drained(service))
    expect((await stopService(service)).code).toBe(0)

    const problems = countProblems('k', total, await counts(dataDir, 'k'))
    expect(problems.slice(0, 20), problems.join('\n')).toEqual([])
    // Only 202s and lost connections: a crash is not an answer.
    expect([...total.statuses.keys()]).toEqual([202])
    console.info(
      `[crash] ${total.acked.size} events acknowledged, ${total.unknown.size} unanswered at the kills; ` +
        `ack p50 ${percentile(total.ackLatencies, 50).toFixed(1)} ms, p99 ${percentile(total.ackLatencies, 99).toFixed(1)} ms; ` +
        `replay after restart ${replays.join(', ')} ms`,
    )
  }, 120_000)

  it('between the warehouse insert and the truncation of the log: the replay doubles nothing', async () => {
    const dataDir = tempDir()
    const crashing = await spawnService({ ...env(dataDir), TALLY_FAILPOINT: 'crash-after-insert' })
    const events = Array.from({ length: 40 }, (_, n) => ({
      type: 'pageview',
      site: 'demo',
      url: `http://localhost:8787/f/${eventName(n)}`,
    }))
    const answers = await Promise.all([
      postEvents(crashing.url, { events: events.slice(0, 20) }),
      postEvents(crashing.url, { events: events.slice(20) }),
    ])
    expect(answers.map((answer) => answer.status)).toEqual([202, 202])
    // The first batch reaches the warehouse, then the process dies before deleting its file.
    await crashing.exited
    expect(crashing.child.signalCode).toBe('SIGKILL')
    const left = readdirSync(join(dataDir, 'wal')).filter((name) => name.endsWith('.wal'))
    expect(left.length).toBeGreaterThan(0)

    const service = await spawnService(env(dataDir))
    await drained(service)
    const metrics = await service.metrics()
    expect(metrics['tally_replayed_batches_total{outcome="found"}']).toBeGreaterThan(0)
    expect((await stopService(service)).code).toBe(0)
    expect(readdirSync(join(dataDir, 'wal')).filter((name) => name.endsWith('.wal'))).toEqual([])

    const found = await counts(dataDir, 'f')
    expect([...found.values()].every((count) => count === 1)).toBe(true)
    expect(found.size).toBe(40)
  }, 90_000)

  it('SIGTERM in the middle of a load: stops taking requests, flushes, exits 0 within 10 s', async () => {
    const dataDir = tempDir()
    const service = await spawnService({ ...env(dataDir), FLUSH_INTERVAL_MS: '1000', LOG_LEVEL: 'info' })
    // The aggregator's jobs run once at start; a process stopped then also waits for them (the
    // embedded warehouse must not be closed under a running query). This is about the collector.
    const jobs = aggregatorJobs({
      warehouse: {} as Warehouse,
      config: loadConfig({}),
      metrics: new Metrics(),
      salts: createSaltStore({} as Warehouse),
      leads: true,
    }).filter((job) => job.runAtStart).length
    await expect
      .poll(() => service.output().match(/"msg":"job (done|failed)"/g)?.length ?? 0, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(jobs)
    const load = startLoad({ url: service.url, prefix: 'g', concurrency: 16, perRequest: 3 })
    await sleep(2_000)
    const stopped = await stopService(service)
    const result = await load.stop()
    expect(stopped.code).toBe(0)
    expect(stopped.ms).toBeLessThan(10_000)
    expect(result.acked.size).toBeGreaterThan(300)
    // Everything acknowledged went to the warehouse on the way out: nothing is left in the log.
    expect(readdirSync(join(dataDir, 'wal')).filter((name) => name.endsWith('.wal'))).toEqual([])
    const problems = countProblems('g', result, await counts(dataDir, 'g'))
    expect(problems.slice(0, 20), problems.join('\n')).toEqual([])
    expect([...result.statuses.keys()].filter((status) => status !== 202 && status !== 503)).toEqual([])
    console.info(`[sigterm] exited 0 in ${stopped.ms} ms with ${result.acked.size} events acknowledged`)
  }, 60_000)
})
