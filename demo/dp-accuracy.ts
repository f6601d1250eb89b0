import { AsyncLocalStorage } from 'node:async_hooks'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publishReleases } from '../aggregator/jobs/publish.ts'
import { releasePlan } from '../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../aggregator/release/measurements.ts'
import { createCollector } from '../collector/collector.ts'
import { createLogger } from '../core/logger.ts'
import { loadConfig } from '../schemas/config.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { migrate } from '../warehouse/migrate.ts'
import { seedHistory } from './seed.ts'

/**
 * `npx tsx demo/dp-accuracy.ts [days] [perDay]`: the demo's traffic through the real collector
 * into a fresh embedded warehouse, then the publish job with the configured DP_EPSILON/DP_DELTA.
 * Prints the time publishing takes per day, and the released headline figures over the range
 * against the truth read from the sketches before anything is destroyed (the sum of daily
 * distinct visitors, pageviews). Timings on a shared machine are noisy.
 */

const days = Number(process.argv[2] ?? 28)
const perDay = Number(process.argv[3] ?? 1000)
const dir = mkdtempSync(join(tmpdir(), 'tally-dp-accuracy-'))
const origin = 'http://localhost:8787'
const config = loadConfig({ SITES: `demo=${origin}`, TRUST_PROXY: '1', RATE_LIMIT: '0', DATA_DIR: dir })
const warehouse = await openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
try {
  await migrate(warehouse)
  const clock = new AsyncLocalStorage<Date>()
  const collector = createCollector({
    config,
    warehouse,
    logger: createLogger('warn'),
    now: () => clock.getStore() ?? new Date(),
  })
  const now = new Date('2026-12-01T00:30:00Z')
  const from = new Date(now.getTime() - days * 86_400_000)
  from.setUTCHours(0, 0, 0, 0)
  const until = new Date(now.getTime() - 3_600_000)
  const report = await seedHistory({
    post: (headers, body, at) =>
      clock.run(at, () =>
        Promise.resolve(collector.ingest.request('/api/event', { method: 'POST', headers, body })),
      ),
    site: 'demo',
    origin,
    from,
    until,
    perDay,
    seed: 1,
  })
  await collector.batcher.flush()
  await collector.close()
  const query = async <T>(sql: string) =>
    (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()
  const [truth] = await query<{ visitors: number; pageviews: number }>(
    `SELECT sum(v) AS visitors, sum(p) AS pageviews FROM (
       SELECT day, uniqCombinedMerge(visitors) AS v, sumMergeIf(events, type = 'pageview') AS p
       FROM traffic_daily WHERE day < '2026-12-01' GROUP BY day)`,
  )
  const plan = releasePlan(MEASUREMENTS, config.privacy, config.kAnon)
  const started = performance.now()
  const published = await publishReleases(warehouse, now, { plan })
  const ms = performance.now() - started
  const dayCount = published.published.filter((period) => period.grain === 'day').length
  const [released] = await query<{ visitors: number; pageviews: number; vsd: number; psd: number }>(
    `SELECT sumIf(value, measure = 'visitors') AS visitors, sumIf(value, measure = 'pageviews') AS pageviews,
       sqrt(sumIf(stddev * stddev, measure = 'visitors')) AS vsd, sqrt(sumIf(stddev * stddev, measure = 'pageviews')) AS psd
     FROM released FINAL WHERE grain = 'day' AND measurement = 'totals' AND grouping = ''`,
  )
  const [lists] = await query<{ pages: number; cells: number }>(
    `SELECT uniqExactIf(k1, measurement = 'pages') AS pages, count() AS cells FROM released FINAL WHERE grain = 'day'`,
  )
  const error = (shown: number, exact: number) => `${(((shown - exact) / exact) * 100).toFixed(2)} %`
  console.log(`privacy: ${JSON.stringify(config.privacy)}; ${report.visits} visits, ${report.events} events`)
  console.log(`published ${published.published.length} periods (${dayCount} days) in ${Math.round(ms)} ms`)
  console.log(`  ${dayCount ? Math.round(ms / dayCount) : 0} ms per day of data (hours included)`)
  if (truth && released) {
    console.log(
      `visitors  true ${truth.visitors}  released ${Math.round(released.visitors)} ±${Math.round(1.96 * released.vsd)}  ${error(released.visitors, truth.visitors)}`,
    )
    console.log(
      `pageviews true ${truth.pageviews}  released ${Math.round(released.pageviews)} ±${Math.round(1.96 * released.psd)}  ${error(released.pageviews, truth.pageviews)}`,
    )
  }
  console.log(`released day cells: ${lists?.cells}; distinct pages released on some day: ${lists?.pages}`)
} finally {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
}
