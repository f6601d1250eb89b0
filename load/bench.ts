import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildBeacon } from '../collector/beacon/build.ts'
import { type ClickHouseServer, startClickHouseServer } from '../test/support/clickhouse-server.ts'
import type { IngestFigures } from './ingest-demo.ts'
import { type LoadRequest, type LoadResult, runLoad } from './lib/http-load.ts'
import {
  type Child,
  procCpuSeconds,
  ROOT,
  randomToken,
  removeDir,
  startBareServer,
  startTally,
  type Tally,
  tail,
} from './lib/instance.ts'
import { benchPipeline, type PipelineBench } from './lib/pipeline-bench.ts'
import { type EndpointTiming, lastDays, probeReadApi, timeEndpoints } from './lib/read-api.ts'
import { heading, int, type Machine, machine, mb, ms, num, table } from './lib/report.ts'
import { trafficPool } from './scenario.js'

/**
 * `npm run bench`: the collector against the machine's limit, in one run on one machine.
 *
 *   1. the collector over HTTP (full pipeline, write buffer, warehouse) against a bare node:http
 *      server that reads the body and answers 204: same client, same connections, same requests;
 *   2. the privacy pipeline alone, µs per event;
 *   3. embedded warehouse ingestion into the rollups, rows/s: the collector's own batches, and the
 *      bulk load that fills the warehouse with the demo data for 4 (load/ingest-demo.ts);
 *   4. read API latency over 30 days of demo data (10 million events; 100,000 with --quick);
 *   5. peak RSS of the collector process, server mode and embedded mode;
 *   6. the beacon's size.
 *
 * Flags: --quick (short runs, small data set), --only http,embedded,pipeline,ingest,read,beacon,
 * --seconds S (each HTTP measurement), --rounds R (alternating baseline/collector rounds; the best
 * of each counts), --connections C, --events N (demo events for 3 and 4), --read-requests R,
 * --profile (CPU profile of the collector under load, into load/results/), --out FILE, --tmp DIR
 * (where the processes keep their files: the data directories and the collector's write-ahead log;
 * `--tmp /dev/shm` takes the disk out of the figures).
 *
 * Everything runs on 127.0.0.1 and stops by itself; the collector and the baseline each run in
 * their own process so that the load generator does not share their event loop.
 */

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    events: { type: 'string' },
    'read-requests': { type: 'string' },
    profile: { type: 'boolean', default: false },
    tmp: { type: 'string', default: tmpdir() },
    out: { type: 'string', default: join(ROOT, 'load/results/latest.json') },
  },
})

const quick = values.quick === true
const SECTIONS = ['beacon', 'pipeline', 'http', 'embedded', 'ingest', 'read'] as const
type Section = (typeof SECTIONS)[number]
const only = new Set((values.only?.split(',') ?? SECTIONS).map((name) => name.trim()))
for (const name of only) {
  if (!SECTIONS.includes(name as Section))
    throw new Error(`--only: unknown section "${name}" (${SECTIONS.join(', ')})`)
}
const wanted = (section: Section) => only.has(section)

const settings = {
  quick,
  seconds: num(values.seconds, 'seconds', quick ? 5 : 15),
  warmupSeconds: quick ? 2 : 4,
  rounds: num(values.rounds, 'rounds', quick ? 1 : 3),
  connections: num(values.connections, 'connections', 50),
  events: num(values.events, 'events', quick ? 100_000 : 10_000_000),
  days: 30,
  readRequests: num(values['read-requests'], 'read-requests', quick ? 10 : 40),
}

const SITE = 'demo'
// The service's jobs that run once at start (server/main.ts, aggregator/job-list.ts).
const STARTUP_JOBS = ['rotate-salts', 'finalize-sketches', 'retention', 'insights', 'privacy-audit']
const ORIGIN = 'https://shop.example'
const collectorEnv = { SITES: `${SITE}=${ORIGIN}`, TRUST_PROXY: '1', FLUSH_INTERVAL_MS: '1000' }
const workDir = mkdtempSync(join(values.tmp, 'tally-bench-'))
const resultsDir = join(ROOT, 'load/results')

type HttpRun = {
  result: LoadResult
  /** 202 answers per second (events accepted); for the baseline, 204 answers per second. */
  eventsPerSecond: number
  /** Server process CPU time (user + system) per answered request. */
  cpuMicrosPerRequest: number
  /** The load generator's (this process's) CPU time per request: it shares the machine. */
  clientCpuMicrosPerRequest: number
  /** The clickhouse-server process's CPU time per request, in server mode. */
  warehouseCpuMicrosPerRequest?: number
  /** The collector's write-ahead log during the run, when its metrics exist. */
  wal?: { commits: number; appendsPerCommit: number; msPerCommit: number }
}

type HttpSection = {
  warehouse: string
  connections: number
  seconds: number
  baseline: { runs: HttpRun[]; best: HttpRun }
  collector: { runs: HttpRun[]; best: HttpRun; peakRssBytes: number; exitCode: number | null }
  ratio: number
  /** The collector with WAL_FSYNC_MS=0 (every 202 waits for an fsync), one run after the rounds. */
  fsyncEachCommit?: { run: HttpRun; ratio: number }
}

type Results = {
  machine: Machine
  settings: typeof settings
  beacon?: { bytes: number; gzipBytes: number }
  pipeline?: PipelineBench
  http?: HttpSection
  embedded?: { run: HttpRun; peakRssBytes: number; exitCode: number | null }
  ingest?: IngestFigures
  read?: { events: number; from: string; to: string; endpoints: EndpointTiming[] } | { skipped: string }
  /** The 1-minute load average when each section started: above the core count, other processes took CPU. */
  loadAverage: Record<string, number>
  errors: Record<string, string>
}

const results: Results = { machine: machine(), settings, loadAverage: {}, errors: {} }

async function section(name: Section, title: string, run: () => Promise<void>): Promise<void> {
  if (!wanted(name)) return
  heading(title)
  const load = loadavg()[0] ?? 0
  results.loadAverage[name] = Math.round(load * 100) / 100
  if (load > results.machine.cores) {
    console.log(
      `  note: load average ${load.toFixed(1)} on ${results.machine.cores} cores: other processes are taking CPU, figures will be low and noisy`,
    )
  }
  try {
    await run()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    results.errors[name] = message
    console.log(`  failed: ${message}`)
  }
}

// --- requests ----------------------------------------------------------------------------------

// One pool for every HTTP measurement, cycled through: the baseline and the collector get the very
// same requests, and generating them costs the client nothing while it measures.
const pool = trafficPool(20_000, { site: SITE, origin: ORIGIN, seed: 3 })
const eventRequests = (): (() => LoadRequest) => {
  let next = 0
  return () => {
    const visit = pool[next++ % pool.length] as (typeof pool)[number]
    return {
      method: 'POST',
      path: '/api/event',
      headers: visit.headers,
      body: visit.body,
      kind: visit.type,
      expect: visit.expect,
    }
  }
}

const WAL_METRICS = ['tally_wal_commits_total', 'tally_wal_appends_total', 'tally_wal_commit_seconds_total']

async function scrape(target: Child | Tally): Promise<Map<string, number> | undefined> {
  if (!('metrics' in target)) return undefined
  try {
    return await target.metrics()
  } catch {
    return undefined
  }
}

async function measure(
  label: string,
  target: Child | Tally,
  accepted: number,
  warehousePid?: number,
): Promise<HttpRun> {
  await runLoad({
    label: `${label} (warm-up)`,
    url: target.url,
    next: eventRequests(),
    connections: settings.connections,
    seconds: settings.warmupSeconds,
    progress: false,
  })
  const metricsBefore = await scrape(target)
  const cpuBefore = target.cpuSeconds()
  const clientBefore = process.cpuUsage()
  const warehouseBefore = warehousePid ? procCpuSeconds(warehousePid) : 0
  const result = await runLoad({
    label,
    url: target.url,
    next: eventRequests(),
    connections: settings.connections,
    seconds: settings.seconds,
    maxSeconds: settings.seconds + 30,
  })
  const cpu = target.cpuSeconds() - cpuBefore
  const client = process.cpuUsage(clientBefore)
  const warehouseCpu = warehousePid ? procCpuSeconds(warehousePid) - warehouseBefore : undefined
  const metricsAfter = await scrape(target)
  const perRequest = (seconds: number) => (result.requests > 0 ? (seconds * 1e6) / result.requests : 0)
  const run: HttpRun = {
    result,
    eventsPerSecond: (result.statuses[accepted] ?? 0) / result.seconds,
    cpuMicrosPerRequest: perRequest(cpu),
    clientCpuMicrosPerRequest: perRequest((client.user + client.system) / 1e6),
    ...(warehouseCpu === undefined ? {} : { warehouseCpuMicrosPerRequest: perRequest(warehouseCpu) }),
  }
  if (metricsBefore && metricsAfter && WAL_METRICS.every((name) => metricsAfter.has(name))) {
    const delta = (name: string) => (metricsAfter.get(name) ?? 0) - (metricsBefore.get(name) ?? 0)
    const [commits, appends, seconds] = WAL_METRICS.map(delta) as [number, number, number]
    run.wal = {
      commits,
      appendsPerCommit: commits > 0 ? appends / commits : 0,
      msPerCommit: commits > 0 ? (seconds * 1000) / commits : 0,
    }
  }
  return run
}

const best = (runs: HttpRun[]): HttpRun =>
  runs.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a), runs[0] as HttpRun)

const statusSummary = (result: LoadResult) =>
  Object.entries(result.statuses)
    .map(([status, count]) => `${status}×${int(count)}`)
    .join(' ') + (result.errors ? ` errors×${result.errors}` : '')

function printRuns(rows: Array<[string, HttpRun]>) {
  console.log(
    table([
      [
        'run',
        'answers/s',
        'p50',
        'p99',
        'max',
        'CPU/request',
        'client CPU',
        'warehouse CPU',
        'statuses',
        'WAL commits: n, appends each, ms each',
      ],
      ...rows.map(([label, run]) => [
        label,
        int(run.eventsPerSecond),
        ms(run.result.latency.p50),
        ms(run.result.latency.p99),
        ms(run.result.latency.max),
        `${run.cpuMicrosPerRequest.toFixed(0)} µs`,
        `${run.clientCpuMicrosPerRequest.toFixed(0)} µs`,
        run.warehouseCpuMicrosPerRequest === undefined
          ? '-'
          : `${run.warehouseCpuMicrosPerRequest.toFixed(0)} µs`,
        statusSummary(run.result),
        run.wal
          ? `${int(run.wal.commits)}, ${run.wal.appendsPerCommit.toFixed(1)}, ${run.wal.msPerCommit.toFixed(2)} ms`
          : '-',
      ]),
    ]),
  )
}

// --- sections ----------------------------------------------------------------------------------

console.log(
  `tally bench, ${results.machine.date}: ${results.machine.cores} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; load average ${results.machine.loadAverage.join(' ')}`,
)
console.log(
  `settings: ${quick ? 'quick, ' : ''}${settings.seconds} s per HTTP measurement × ${settings.rounds} round(s), ${settings.connections} connections, ${int(settings.events)} demo events over ${settings.days} days`,
)

await section('beacon', '6. beacon size', async () => {
  const beacon = await buildBeacon()
  results.beacon = { bytes: beacon.bytes, gzipBytes: beacon.gzipBytes }
  console.log(`  minified ${int(beacon.bytes)} B, gzipped ${int(beacon.gzipBytes)} B`)
})

await section('pipeline', '2. privacy pipeline without HTTP (µs per event, fastest of rounds)', async () => {
  const bench = benchPipeline({
    events: quick ? 5_000 : 20_000,
    rounds: quick ? 3 : 7,
    site: SITE,
    origin: ORIGIN,
  })
  results.pipeline = bench
  console.log(
    table([
      ['stage', 'µs/event'],
      [
        'screen + JSON.parse + validate + processEvent + row JSON (all)',
        bench.totalMicrosPerEvent.toFixed(2),
      ],
      ...bench.stages.map((stage) => [`  ${stage.name}`, stage.microsPerEvent.toFixed(2)]),
    ]),
  )
  console.log(`  ${int(bench.events)} requests of the mix, ${bench.distinctUserAgents} distinct user agents`)
})

await section('http', '1. collector over HTTP vs bare node:http (same client, same requests)', async () => {
  let clickhouse: ClickHouseServer | null = null
  let collector: Tally | undefined
  let bare: Child | undefined
  try {
    clickhouse = await startClickHouseServer()
    const warehouse = clickhouse
      ? `clickhouse-server ${await serverVersion(clickhouse.url)} (server mode)`
      : 'embedded chDB (clickhouse-server is not installed)'
    console.log(`  collector warehouse: ${warehouse}`)
    collector = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: collectorEnv,
      workDir,
      ...(values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] } : {}),
    })
    bare = await startBareServer(workDir)
    const baselineRuns: HttpRun[] = []
    const collectorRuns: HttpRun[] = []
    const printed: Array<[string, HttpRun]> = []
    for (let round = 1; round <= settings.rounds; round++) {
      const baseline = await measure(`baseline, round ${round}`, bare, 204)
      baselineRuns.push(baseline)
      printed.push([`bare node:http, round ${round}`, baseline])
      const full = await measure(`collector, round ${round}`, collector, 202, clickhouse?.pid())
      collectorRuns.push(full)
      printed.push([`collector, round ${round}`, full])
    }
    const peakRssBytes = collector.peakRss()
    const exitCode = await collector.stop()
    // The same, with a 202 that waits for the disk: what power-loss durability costs here.
    const durable = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: { ...collectorEnv, WAL_FSYNC_MS: '0' },
      workDir: mkdtempSync(join(workDir, 'fsync-')),
    })
    const fsyncRun = await measure('collector, WAL_FSYNC_MS=0', durable, 202, clickhouse?.pid())
    printed.push(['collector, WAL_FSYNC_MS=0', fsyncRun])
    await durable.stop()
    await bare.stop()
    const section: HttpSection = {
      warehouse,
      connections: settings.connections,
      seconds: settings.seconds,
      baseline: { runs: baselineRuns, best: best(baselineRuns) },
      collector: { runs: collectorRuns, best: best(collectorRuns), peakRssBytes, exitCode },
      ratio: 0,
    }
    section.ratio = section.collector.best.eventsPerSecond / section.baseline.best.eventsPerSecond
    section.fsyncEachCommit = {
      run: fsyncRun,
      ratio: fsyncRun.eventsPerSecond / section.baseline.best.eventsPerSecond,
    }
    results.http = section
    printRuns(printed)
    console.log(
      `  ratio collector / bare: ${section.ratio.toFixed(2)} (goal ≥ 0.6); collector p99 ${ms(section.collector.best.result.latency.p99)} at ${settings.connections} connections; peak RSS ${mb(peakRssBytes)} (goal < 150 MB)`,
    )
    console.log(
      `  with WAL_FSYNC_MS=0 (an fsync before every 202): ratio ${section.fsyncEachCommit.ratio.toFixed(2)}, p99 ${ms(fsyncRun.result.latency.p99)}`,
    )
    if (exitCode !== 0) console.log(`  the collector exited with ${exitCode}:\n${tail(collector.logFile)}`)
  } finally {
    await collector?.stop()
    await bare?.stop()
    await clickhouse?.dispose()
  }
})

await section('embedded', '5. collector in embedded mode (collector + in-process ClickHouse)', async () => {
  const collector = await startTally({ warehouse: { kind: 'embedded' }, env: collectorEnv, workDir })
  try {
    const run = await measure('embedded collector', collector, 202)
    const peakRssBytes = collector.peakRss()
    const exitCode = await collector.stop()
    results.embedded = { run, peakRssBytes, exitCode }
    printRuns([['collector, embedded', run]])
    console.log(`  peak RSS ${mb(peakRssBytes)}`)
  } finally {
    await collector.stop()
  }
})

const dataDir = join(workDir, 'demo-data')
await section(
  'ingest',
  `3. embedded warehouse ingestion into the rollups (${int(settings.events)} demo events over ${settings.days} days)`,
  async () => {
    const figures = await ingestDemo(dataDir, settings.events, settings.days)
    results.ingest = figures
    const { bulk, live } = figures
    console.log(
      table([
        ['insert path', 'rows', 'inserts', 'rows/s', 'seconds inserting'],
        [
          `collector's batches (${int(live.batchSize)} rows, ${live.format}, dedup token, fsync)`,
          int(live.rows),
          int(live.batches),
          int(live.rowsPerSecond),
          live.seconds.toFixed(1),
        ],
        [
          `bulk load (a day per insert, ≤ ${int(bulk.chunkRows)} rows, ${bulk.format})`,
          int(bulk.rows),
          int(bulk.inserts),
          int(bulk.rowsPerSecond),
          bulk.seconds.toFixed(1),
        ],
      ]),
    )
    console.log(
      `  every event through the privacy pipeline in ${figures.workers} worker thread(s): ${figures.generateSeconds.toFixed(1)} s of thread time; wall ${figures.wallSeconds.toFixed(1)} s for ${int(figures.events)} events`,
    )
  },
)

await section('read', `4. read API latency over ${settings.days} days`, async () => {
  if (!results.ingest) {
    results.read = { skipped: 'no demo data: the ingest section did not run or failed' }
    console.log(`  skipped: ${results.read.skipped}`)
    return
  }
  const token = randomToken()
  const reader = await startTally({
    warehouse: { kind: 'embedded', dataDir },
    // At info level the log says when each start-up job is done (see below).
    env: { ...collectorEnv, LOG_LEVEL: 'info', DASHBOARD_TOKEN: token, API_TOKEN: randomToken() },
    workDir,
  })
  try {
    // The service runs its daily jobs once at start: finalize-sketches turns the sketches of every
    // day before yesterday into counts, as in any warehouse older than two days, and the queries
    // share the embedded warehouse with those jobs. Reads are timed once the jobs are done.
    const jobs = await startupJobs(reader.logFile, STARTUP_JOBS, 900_000)
    console.log(
      `  start-up jobs done before timing: ${jobs.map((job) => `${job.name} ${(job.ms / 1000).toFixed(1)} s${job.failed ? ' (failed)' : ''}`).join(', ')}`,
    )
    const target = { url: reader.url, token, site: SITE, ...lastDays(settings.days) }
    const probe = await probeReadApi(target)
    if (!probe.available) {
      results.read = { skipped: probe.reason }
      console.log(`  skipped: ${probe.reason}`)
      return
    }
    const endpoints = await timeEndpoints(target, { requests: settings.readRequests, warmup: 3 })
    results.read = { events: results.ingest.events, from: target.from, to: target.to, endpoints }
    console.log(
      table([
        ['endpoint', 'p50', 'p95', 'max', 'rows', 'statuses'],
        ...endpoints.map((e) => [
          `GET /api/stats/${e.endpoint}`,
          ms(e.latency.p50),
          ms(e.latency.p95),
          ms(e.latency.max),
          e.rows === undefined ? '-' : String(e.rows),
          Object.entries(e.statuses)
            .map(([status, count]) => `${status}×${count}`)
            .join(' '),
        ]),
      ]),
    )
  } finally {
    await reader.stop()
  }
})

// --- summary -----------------------------------------------------------------------------------

heading('summary')
console.log(table(summaryRows()))
mkdirSync(resultsDir, { recursive: true })
writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwritten to ${values.out}`)
removeDir(workDir)
process.exit(Object.keys(results.errors).length > 0 ? 1 : 0)

function summaryRows(): string[][] {
  const rows: string[][] = [['measure', 'result', 'goal / baseline']]
  const { http, embedded, pipeline, ingest, read, beacon } = results
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
    )
    if (c.warehouseCpuMicrosPerRequest !== undefined)
      rows.push([
        '   warehouse / load generator CPU per request',
        `${c.warehouseCpuMicrosPerRequest.toFixed(0)} / ${c.clientCpuMicrosPerRequest.toFixed(0)} µs`,
        `same machine, ${results.machine.cores} cores`,
      ])
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
      '< 1 KiB gzipped',
    ])
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
  return rows
}

async function serverVersion(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/?query=${encodeURIComponent('SELECT version()')}`)
    return (await response.text()).trim()
  } catch {
    return 'unknown version'
  }
}

/** Waits until the service's log says each start-up job is done or failed. */
async function startupJobs(
  logFile: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<Array<{ name: string; ms: number; failed: boolean }>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = new Map<string, { name: string; ms: number; failed: boolean }>()
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('"job"')) continue
      try {
        const entry = JSON.parse(line) as { job?: string; ms?: number; msg?: string }
        if (entry.job && (entry.msg === 'job done' || entry.msg === 'job failed')) {
          found.set(entry.job, { name: entry.job, ms: entry.ms ?? 0, failed: entry.msg === 'job failed' })
        }
      } catch {
        // A line being written.
      }
    }
    if (names.every((name) => found.has(name)))
      return names.map((name) => found.get(name) as { name: string; ms: number; failed: boolean })
    if (Date.now() > deadline)
      throw new Error(`start-up jobs not done after ${timeoutMs / 1000} s: ${tail(logFile)}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

function ingestDemo(dir: string, events: number, days: number): Promise<IngestFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'load/ingest-demo.ts',
        '--dir',
        dir,
        '--events',
        String(events),
        '--days',
        String(days),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = output.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`ingest-demo exited with ${code}: ${line}`))
      try {
        resolve(JSON.parse(line) as IngestFigures)
      } catch {
        reject(new Error(`ingest-demo printed no figures: ${line}`))
      }
    })
  })
}
