import { int, mb, ms } from '../lib/report.ts'
import { RECOMMEND_P95_GOAL_MS } from './recommend.ts'
import type { Results } from './results.ts'

/** Each figure beside its goal or baseline: what the README's performance table is written from. */
export function summaryRows(results: Results): string[][] {
  const rows: string[][] = [['measure', 'result', 'goal / baseline']]
  const { http, embedded, pipeline, ingest, read, beacon, recommend, publish } = results
  if (http) {
    const c = http.collector.best
    const b = http.baseline.best
    rows.push(
      [
        '1. collector events/s over HTTP',
        int(c.eventsPerSecond),
        `bare node:http ${int(b.eventsPerSecond)} req/s`,
      ],
      ['   ratio collector / bare', http.ratio.toFixed(2), '≥ 0.6'],
      [
        `   p99 latency, ${http.connections} connections`,
        ms(c.result.latency.p99),
        `bare ${ms(b.result.latency.p99)}`,
      ],
      [
        '   server CPU per request',
        `${c.cpuMicrosPerRequest.toFixed(0)} µs`,
        `bare ${b.cpuMicrosPerRequest.toFixed(0)} µs`,
      ],
      ['   collector process, cores busy', c.serverCores.toFixed(2), 'its JavaScript runs on one thread'],
    )
    if (c.warehouseCpuMicrosPerRequest !== undefined)
      rows.push([
        '   warehouse / load generator CPU per request',
        `${c.warehouseCpuMicrosPerRequest.toFixed(0)} / ${c.clientCpuMicrosPerRequest.toFixed(0)} µs`,
        `same machine, ${results.machine.cores} cores`,
      ])
    if (http.workers) {
      const w = http.workers.best
      rows.push(
        [
          `   collector with WORKERS=${http.workers.count}, events/s`,
          int(w.eventsPerSecond),
          `p99 ${ms(w.result.latency.p99)}, ${w.serverCores.toFixed(2)} cores busy`,
        ],
        [`   ratio with WORKERS=${http.workers.count}`, http.workers.ratio.toFixed(2), '≥ 0.6'],
        [
          `   CPU per request, collector (all processes) / warehouse / load generator`,
          `${w.cpuMicrosPerRequest.toFixed(0)} / ${(w.warehouseCpuMicrosPerRequest ?? 0).toFixed(0)} / ${w.clientCpuMicrosPerRequest.toFixed(0)} µs`,
          `same machine, ${results.machine.cores} cores`,
        ],
      )
    }
    if (http.fsyncEachCommit)
      rows.push([
        '   ratio with WAL_FSYNC_MS=0',
        http.fsyncEachCommit.ratio.toFixed(2),
        `${int(http.fsyncEachCommit.run.eventsPerSecond)} events/s`,
      ])
  }
  if (pipeline) rows.push(['2. pipeline alone, µs per event', pipeline.totalMicrosPerEvent.toFixed(1), ''])
  if (ingest) {
    rows.push(
      [
        "3. embedded ingestion, collector's batches, rows/s",
        int(ingest.live.rowsPerSecond),
        `${int(ingest.live.batchSize)} rows each`,
      ],
      [
        '   embedded ingestion, bulk load, rows/s',
        int(ingest.bulk.rowsPerSecond),
        `${int(ingest.events)} events in ${ingest.wallSeconds.toFixed(0)} s wall`,
      ],
    )
  }
  if (read && 'endpoints' in read) {
    for (const e of read.endpoints) {
      rows.push([
        `4. ${e.endpoint} p50 / p95 (${int(read.events)} events, 30 days)`,
        `${ms(e.latency.p50)} / ${ms(e.latency.p95)}`,
        'p95 < 100 ms',
      ])
    }
  } else if (read) rows.push(['4. read API', 'skipped', read.skipped])
  if (http)
    rows.push(['5. peak RSS, server mode (collector alone)', mb(http.collector.peakRssBytes), '< 150 MB'])
  if (http?.workers)
    rows.push([
      `   peak RSS, WORKERS=${http.workers.count} (sum of each process's peak)`,
      mb(http.workers.peakRssBytes),
      'reported',
    ])
  if (embedded) {
    rows.push(
      ['5. peak RSS, embedded (collector + chDB)', mb(embedded.peakRssBytes), 'reported'],
      [
        '   embedded events/s over HTTP',
        int(embedded.run.eventsPerSecond),
        `p99 ${ms(embedded.run.result.latency.p99)}`,
      ],
    )
  }
  if (beacon)
    rows.push([
      '6. beacon minified / gzipped',
      `${int(beacon.bytes)} B / ${int(beacon.gzipBytes)} B`,
      '≤ 1.5 KiB gzipped',
    ])
  if (beacon?.ga4)
    rows.push([
      '6. GA4 bridge minified / gzipped',
      `${int(beacon.ga4.bytes)} B / ${int(beacon.ga4.gzipBytes)} B`,
      'only for data-ecommerce="ga4"',
    ])
  const { pinned } = results
  if (pinned && 'skipped' in pinned) rows.push(['8. one core against one core', 'skipped', pinned.skipped])
  else if (pinned) {
    for (const [mode, run, goal] of [
      ['server', pinned.server, '≥ 0.3'],
      ['embedded', pinned.embedded, '≥ 0.2'],
    ] as const) {
      if (!run) continue
      rows.push(
        [
          `8. one core: ratio tally / bare, ${mode} mode`,
          run.ratio.toFixed(2),
          `${goal}; ${int(run.tally.median.eventsPerSecond)} vs ${int(run.bare.median.eventsPerSecond)}/s`,
        ],
        [
          `   ratio by CPU per request, ${mode} mode`,
          run.cpuRatio.toFixed(2),
          `${run.tally.median.cpuMicrosPerRequest.toFixed(0)} vs ${run.bare.median.cpuMicrosPerRequest.toFixed(0)} µs`,
        ],
        [
          `   p99 / peak RSS, ${mode} mode`,
          `${ms(run.tally.median.result.latency.p99)} / ${mb(run.peakRssBytes)}`,
          mode === 'server' ? '< 20 ms / < 150 MB' : '< 20 ms',
        ],
        [
          `   every 202 counted once, ${mode} mode`,
          run.exact.ok ? 'yes' : 'NO',
          `${int(run.exact.answered)} events`,
        ],
      )
    }
    if (pinned.serverSkipped) rows.push(['8. one core, server mode', 'skipped', pinned.serverSkipped])
  }
  for (const [name, message] of Object.entries(results.errors))
    rows.push([`${name}: failed`, '', message.slice(0, 80)])
  const busiest = Math.max(0, ...Object.values(results.loadAverage))
  if (busiest > results.machine.cores) {
    rows.push([
      'note: load average up to',
      busiest.toFixed(1),
      `on ${results.machine.cores} cores (other processes)`,
    ])
  }
  if (recommend && 'result' in recommend) {
    const pinned = 'result' in recommend.pinned ? recommend.pinned : undefined
    for (const [label, run] of [
      ['as fast as answered', recommend.result],
      ['paced', recommend.paced],
      ...(pinned
        ? ([
            ['pinned, as fast as answered', pinned.result],
            ['pinned, paced', pinned.paced],
          ] as const)
        : []),
    ] as const) {
      rows.push([
        `7. /api/v1/recommend p50 / p95, ${recommend.connections} connections, ${label}`,
        `${ms(run.latency.p50)} / ${ms(run.latency.p95)} (${int(run.requestsPerSecond)} req/s)`,
        `p95 < ${RECOMMEND_P95_GOAL_MS} ms: ${run.latency.p95 < RECOMMEND_P95_GOAL_MS ? 'met' : 'not met'}`,
      ])
    }
    const bare = recommend.bare.result
    rows.push([
      `7. bare node:http p50 / p95 under the same load generator, ${recommend.connections} connections`,
      `${ms(bare.latency.p50)} / ${ms(bare.latency.p95)} (${int(bare.requestsPerSecond)} req/s)`,
      'what this machine allows now',
    ])
  }
  if (publish)
    rows.push([
      `9. publishing released figures, ms per day of data (${publish.days} days, ${int(publish.perDay)} visits a day)`,
      publish.msPerDay.toFixed(0),
      `days, hours, weeks and months: ${int(publish.ms)} ms in all`,
    ])
  return rows
}
