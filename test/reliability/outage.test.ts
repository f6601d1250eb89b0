import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { clickHouseServerAvailable, startClickHouseServer } from '../../load/lib/clickhouse-server.ts'
import { sleep, spawnService, stopService } from '../support/process.ts'
import { countProblems, drained, emptyLoad, mergeLoad, serverPathCounts, startLoad } from './support.ts'

/**
 * Server mode against a real clickhouse-server (Debian's 18.16) that is stopped for 30 s in the
 * middle of a load: the collector keeps answering 202 from its write-ahead log until the log
 * reaches SPOOL_MAX_MB, then 503 with Retry-After; /healthz says `degraded` with the backlog and
 * /metrics counts the retries. The collector is also stopped (SIGTERM) while the server is down,
 * which leaves the backlog in its log, and restarted once the server is back. Every acknowledged
 * event is then counted exactly once, and no request was answered with a 5xx other than 503.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'tally-outage-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe.skipIf(!clickHouseServerAvailable())('a 30 s warehouse outage in server mode', () => {
  it('loses nothing that was acknowledged, counts it once, and answers only 202 or 503', async () => {
    const server = await startClickHouseServer()
    if (!server) throw new Error('clickhouse-server is not installed')
    try {
      const env = {
        DATA_DIR: dataDir,
        CLICKHOUSE_URL: server.url,
        CLICKHOUSE_DATABASE: 'tally',
        FLUSH_INTERVAL_MS: '200',
        SPOOL_MAX_MB: '2',
      }
      const first = await spawnService(env)
      const total = emptyLoad()
      // ~300 events a second from 4 connections.
      const load = startLoad({ url: first.url, prefix: 'o', concurrency: 4, perRequest: 2, pauseMs: 20 })
      await sleep(3_000)
      expect(load.result.acked.size).toBeGreaterThan(100)

      await server.stop()
      const outageStarted = Date.now()
      const ackedAtStop = load.result.acked.size

      // The log takes the events while the warehouse is gone.
      await sleep(4_000)
      expect(load.result.acked.size).toBeGreaterThan(ackedAtStop + 300)
      const degraded = await first.health()
      expect(degraded.body.status).toBe('degraded')
      const buffer = degraded.body.checks.find((check) => check.name === 'write_buffer')
      expect(buffer?.status).toBe('degraded')
      expect(buffer?.detail.buffered).toBeGreaterThan(0)
      expect(buffer?.detail.backlogBytes).toBeGreaterThan(0)

      // Until the log is full: then 503 with Retry-After.
      await expect
        .poll(() => load.result.statuses.get(503) ?? 0, { timeout: 20_000, interval: 200 })
        .toBeGreaterThan(0)
      const metrics = await first.metrics()
      expect(metrics.tally_flush_retries_total).toBeGreaterThan(0)
      expect(metrics.tally_backlog_events).toBeGreaterThan(0)
      expect(metrics.tally_backlog_bytes).toBeGreaterThan(1.5 * 1024 * 1024)
      expect(metrics['tally_events_dropped_total{reason="overloaded"}']).toBeGreaterThan(0)

      // A collector stopped while its warehouse is down exits promptly and keeps the backlog.
      await sleep(Math.max(0, 24_000 - (Date.now() - outageStarted)))
      const stopped = await stopService(first)
      mergeLoad(total, await load.stop())
      expect(stopped.code, first.output()).toBe(0)
      expect(stopped.ms).toBeLessThan(10_000)
      expect(
        readdirSync(join(dataDir, 'wal')).filter((name) => name.endsWith('.wal')).length,
      ).toBeGreaterThan(0)

      await sleep(Math.max(0, 30_000 - (Date.now() - outageStarted)))
      await server.start()
      const second = await spawnService(env)
      const replayMs = await drained(second)
      // And it goes on taking events.
      mergeLoad(
        total,
        await startLoad({
          url: second.url,
          prefix: 'o',
          first: 10_000_000,
          concurrency: 4,
          perRequest: 2,
          pauseMs: 20,
          maxMs: 2_000,
        }).done,
      )
      await drained(second)
      expect((await stopService(second)).code).toBe(0)

      const problems = countProblems('o', total, await serverPathCounts(server.url, 'o'))
      expect(problems.slice(0, 20), `${problems.length} problems:\n${problems.join('\n')}`).toEqual([])
      expect([...total.statuses.keys()].filter((status) => status !== 202 && status !== 503)).toEqual([])
      expect(total.withoutRetryAfter).toBe(0)
      console.info(
        `[outage] ${total.acked.size} acknowledged (${total.acked.size - ackedAtStop} of them during the outage or after), ` +
          `${total.refused.size} refused with 503, ${total.unknown.size} unanswered at the stop; ` +
          `replayed the backlog in ${replayMs} ms after the restart`,
      )
    } finally {
      await server.dispose()
    }
  }, 150_000)
})
