import { AsyncLocalStorage } from 'node:async_hooks'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeInsights } from '../aggregator/jobs/insights.ts'
import { publishReleases } from '../aggregator/jobs/publish.ts'
import { releasePlan } from '../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../aggregator/release/measurements.ts'
import { buildOverview } from '../api/overview.ts'
import { getTrafficByType } from '../api/queries/getTrafficByType.ts'
import { getVisits } from '../api/queries/getVisits.ts'
import { releasedOverview } from '../api/released-overview.ts'
import { createCollector } from '../collector/collector.ts'
import { createLogger } from '../core/logger.ts'
import { loadConfig } from '../schemas/config.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { migrate } from '../warehouse/migrate.ts'
import { keyParts, releasedReader } from '../warehouse/released/reader.ts'
import { releasedRecovery } from './released-recovery.ts'
import { seedHistory } from './seed.ts'

/**
 * `npx tsx demo/dp-accuracy.ts [days] [perDay]`: the demo's traffic through the real collector
 * into a fresh embedded warehouse, then the publish job with the configured DP_EPSILON/DP_DELTA.
 * Prints the time publishing takes per day, and the released headline figures over the range
 * against the truth read from the sketches before anything is destroyed (the sum of daily
 * distinct visitors, pageviews), and for the dashboard's "30 days" range (ending today, as the
 * dashboard asks it: ISO weeks and days, docs/privacy.md "Time grains") how many pages, sources
 * and countries are released, with the true and released visitors of the five largest. A fifth
 * argument sets how many of the largest to print. Last, the offer insights the recommendation
 * service reads, made from released cells only, each segment's best variant and decision against
 * the variant that truly converts best there. Timings on a shared machine are noisy.
 */

const days = Number(process.argv[2] ?? 28)
const perDay = Number(process.argv[3] ?? 1000)
const top = Number(process.argv[4] ?? 5)
// The lists of the dashboard's first views: measurement, rollup and key column (constants).
const LISTS = [
  ['pages', 'pages_daily', 'path'],
  ['sources.source', 'sources_daily', 'source'],
  ['tech.country', 'tech_daily', 'country'],
] as const
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
  const grains = published.published.reduce<Record<string, number>>((count, period) => {
    count[period.grain] = (count[period.grain] ?? 0) + 1
    return count
  }, {})
  console.log(`  periods per grain: ${JSON.stringify(grains)}`)
  console.log(
    `  ${dayCount ? Math.round(ms / dayCount) : 0} ms per day of data (hours, weeks and months included)`,
  )
  // One line for `npm run bench` (load/bench/publish.ts), which runs this script.
  console.log(
    `publish-cost ${JSON.stringify({ events: report.events, days: dayCount, periods: grains, ms: Math.round(ms) })}`,
  )
  if (truth && released) {
    console.log(
      `visitors  true ${truth.visitors}  released ${Math.round(released.visitors)} ±${Math.round(1.96 * released.vsd)}  ${error(released.visitors, truth.visitors)}`,
    )
    console.log(
      `pageviews true ${truth.pageviews}  released ${Math.round(released.pageviews)} ±${Math.round(1.96 * released.psd)}  ${error(released.pageviews, truth.pageviews)}`,
    )
  }
  console.log(`released day cells: ${lists?.cells}; distinct pages released on some day: ${lists?.pages}`)
  // The dashboard's "30 days": today and the 29 days before it.
  const to = now.toISOString().slice(0, 10)
  const rangeFrom = new Date(now.getTime() - 29 * 86_400_000).toISOString().slice(0, 10)
  const reader = releasedReader(warehouse)
  for (const [id, table, column] of LISTS) {
    const truth = await query<{ key: string; visitors: number }>(
      `SELECT key, sum(v) AS visitors FROM (
         SELECT day, ${column} AS key, uniqCombinedMerge(visitors) AS v FROM ${table}
         WHERE site = 'demo' AND day BETWEEN '${rangeFrom}' AND '${to}' GROUP BY day, key)
       GROUP BY key ORDER BY visitors DESC, key`,
    )
    const shown = await reader.byKey(id, { site: 'demo', from: rangeFrom, to, filter: null })
    const byName = new Map([...shown].map(([key, measures]) => [keyParts(key)[0], measures.get('visitors')]))
    console.log(
      `${id}, ${rangeFrom} to ${to}: ${byName.size} of ${truth.length} released; largest, true vs released ±95 %:`,
    )
    for (const row of truth.slice(0, top)) {
      const figure = byName.get(row.key)
      const released = figure
        ? `${Math.round(figure.value)} ±${Math.round(1.96 * figure.stddev)}`
        : 'held back'
      console.log(`  ${row.key || '(none)'}  true ${row.visitors}  released ${released}`)
    }
  }
  // The overview's cards over the closed days, as the dashboard shows them (released) against the
  // k path's exact figures of the same days (their sketches still exist here).
  const closed = { site: 'demo', from: from.toISOString().slice(0, 10), to: '2026-11-30' }
  const exact = buildOverview(
    closed,
    await getTrafficByType(warehouse, closed),
    () => true,
    await getVisits(warehouse, closed),
  )
  const shownCards = await releasedOverview(reader, { ...closed, filter: null })
  console.log(`overview cards, ${closed.from} to ${closed.to}: true, released ± 95 %:`)
  for (const card of [
    'visitors',
    'pageviews',
    'visits',
    'views_per_visit',
    'bounce_rate',
    'visit_duration',
    'conversion_rate',
    'revenue',
  ] as const) {
    const truth = Number(exact[card] ?? 0)
    const released = Number(shownCards[card] ?? Number.NaN)
    const sd = shownCards.sd[card] ?? 0
    console.log(
      `  ${card.padEnd(16)} ${truth.toFixed(3).padStart(12)} ${released.toFixed(3).padStart(12)} ±${(1.96 * sd).toFixed(3)}  ${error(released, truth)}`,
    )
  }
  // The recommendation service's view: offer insights from released cells only, against the truth.
  const insights = await computeInsights(warehouse, now, { kAnon: config.kAnon, privacy: config.privacy })
  console.log(
    await releasedRecovery(warehouse, report, {
      now,
      window: insights.window,
      level: config.recommendProbBest,
    }),
  )
} finally {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
}
