import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { trafficPool } from '../../demo/model/requests.js'
import type { WarehouseConfig } from '../../schemas/config.ts'
import { type ClickHouseServer, startClickHouseServer } from '../lib/clickhouse-server.ts'
import { type Child, startBareServer, startTally, type Tally, tail } from '../lib/instance.ts'
import { int, mb, ms } from '../lib/report.ts'
import { eventsByType, withWarehouse } from '../run/warehouse.ts'
import { measurer, printRuns } from './measure.ts'
import type { HttpRun, PinnedMode, PinnedSection } from './results.ts'
import { COLLECTOR_ENV, ORIGIN, RESULTS_DIR, type Settings, SITE } from './settings.ts'

/** The core the servers under test run on, and the one the load generator (and clickhouse-server) get. */
export const SERVER_CORE = 1
export const CLIENT_CORE = 0

/**
 * One core against one core: bare node:http and Tally each pinned to the same core (`taskset`, every
 * thread and whatever they start), the load generator and, in server mode, clickhouse-server on the
 * other, in alternating rounds; the median round of each gives the ratio. Afterwards the warehouse
 * must count exactly the pageviews Tally answered 202, warm-ups included.
 */
export async function pinnedSection(options: {
  settings: Settings
  workDir: string
  /** A CPU profile of Tally in each mode, into RESULTS_DIR. */
  profile?: boolean
}): Promise<PinnedSection> {
  const why = whyNotPinned()
  if (why) {
    console.log(`  skipped: ${why}`)
    return { skipped: why }
  }
  const { settings, workDir, profile = false } = options
  const ownAffinity = affinity(process.pid)
  pin(process.pid, CLIENT_CORE)
  let bare: Child | undefined
  try {
    bare = await startBareServer(workDir)
    pin(bare.pid, SERVER_CORE)
    const section: PinnedSection = {
      cores: `server on core ${SERVER_CORE}, load generator on core ${CLIENT_CORE}`,
      connections: settings.connections,
      seconds: settings.seconds,
      rounds: settings.rounds,
    }
    const clickhouse = await startClickHouseServer()
    try {
      if (clickhouse) {
        pin(clickhouse.pid() ?? 0, CLIENT_CORE)
        section.server = await measureMode('server', settings, bare, workDir, clickhouse, profile)
      } else {
        section.serverSkipped = 'clickhouse-server is not installed'
        console.log('  server mode skipped: clickhouse-server is not installed')
      }
    } finally {
      await clickhouse?.dispose()
    }
    section.embedded = await measureMode('embedded', settings, bare, workDir, null, profile)
    return section
  } finally {
    await bare?.stop()
    if (ownAffinity)
      spawnSync('taskset', ['-a', '-cp', ownAffinity, String(process.pid)], { stdio: 'ignore' })
  }
}

async function measureMode(
  mode: 'server' | 'embedded',
  settings: Settings,
  bare: Child,
  workDir: string,
  clickhouse: ClickHouseServer | null,
  profile: boolean,
): Promise<PinnedMode> {
  // The bench's beacon-shaped pageviews (sendBeacon's headers, many visitors behind a proxy), every
  // one of them accepted: each 202 must be one pageview in the warehouse.
  const pool = trafficPool(20_000, { site: SITE, origin: ORIGIN, seed: 3, mix: { pageview: 1 } }).filter(
    (visit) => visit.type === 'pageview' && visit.expect === 202,
  )
  let answered = 0
  let loads = 0
  let counting = false
  const measure = measurer(settings, {
    pool,
    // About four pageviews per visitor-day, as a storefront's visits have, none past the bound.
    passesPerAddress: 4,
    onLoad: (result) => {
      if (!counting) return
      answered += result.statuses[202] ?? 0
      loads++
    },
  })
  const dir = mkdtempSync(join(workDir, `pinned-${mode}-`))
  const warehouse: WarehouseConfig = clickhouse
    ? { kind: 'server', url: clickhouse.url, username: 'default', password: '', database: 'tally' }
    : { kind: 'embedded', path: join(dir, 'data'), database: 'tally' }
  const tally = await startTally({
    warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
    env: COLLECTOR_ENV,
    workDir: dir,
    ...(profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`] } : {}),
  })
  try {
    pin(tally.pid, SERVER_CORE)
    const bareRuns: HttpRun[] = []
    const tallyRuns: HttpRun[] = []
    const printed: Array<[string, HttpRun]> = []
    const loadAverages: number[] = []
    for (let round = 1; round <= settings.rounds; round++) {
      loadAverages.push(Math.round((loadavg()[0] ?? 0) * 100) / 100)
      counting = false
      const baseline = await measure(`${mode}: bare, round ${round}`, bare, 204)
      counting = true
      const run = await measure(`${mode}: tally, round ${round}`, tally, 202, clickhouse?.pid())
      counting = false
      bareRuns.push(baseline)
      tallyRuns.push(run)
      printed.push([`bare node:http, round ${round}`, baseline], [`tally ${mode}, round ${round}`, run])
    }
    const peakRssBytes = tally.peakRss()
    const counters = await tally.metrics()
    const counted = counters.get('tally_events_accepted_total') ?? 0
    const bounded = counters.get('tally_events_dropped_total{reason="contribution_bound"}') ?? 0
    // A stop writes what the warehouse takes within its deadline and leaves the rest in the
    // write-ahead log for the next start; the count is compared once everything is written.
    await writtenOut(tally, counted)
    const exitCode = await tally.stop()
    const stored = (await withWarehouse(warehouse, (w) => eventsByType(w, SITE))).get('pageview') ?? 0
    const medianBare = median(bareRuns)
    const medianTally = median(tallyRuns)
    const result: PinnedMode = {
      bare: { runs: bareRuns, median: medianBare },
      tally: { runs: tallyRuns, median: medianTally },
      ratio: medianTally.eventsPerSecond / medianBare.eventsPerSecond,
      cpuRatio:
        middle(bareRuns.map((run) => run.cpuMicrosPerRequest)) /
        middle(tallyRuns.map((run) => run.cpuMicrosPerRequest)),
      roundRatios: tallyRuns.map((run, i) => run.eventsPerSecond / (bareRuns[i] as HttpRun).eventsPerSecond),
      peakRssBytes,
      exitCode,
      // A run ends with up to one request per connection in flight: the collector accepts it, the
      // load generator no longer waits for the answer. So: the warehouse holds exactly what the
      // collector acknowledged, which is every 202 seen plus at most those in flight.
      // A 202 past the visitor-day's contribution bound keeps nothing: those are counted as dropped.
      exact: {
        answered,
        inFlight: settings.connections * loads,
        counted,
        bounded,
        stored,
        ok:
          counted === stored &&
          stored + bounded >= answered &&
          stored + bounded - answered <= settings.connections * loads,
      },
      loadAverages,
    }
    printRuns(printed)
    const goal = mode === 'server' ? 0.3 : 0.2
    console.log(
      `  ${mode}: ratio tally / bare ${result.ratio.toFixed(2)} (median rounds; rounds ${result.roundRatios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ ${goal}); by CPU per request ${result.cpuRatio.toFixed(2)}; p99 ${ms(medianTally.result.latency.p99)} (goal < 20 ms); peak RSS ${mb(peakRssBytes)}${mode === 'server' ? ' (goal < 150 MB)' : ''}; load average ${loadAverages.join(', ')}`,
    )
    console.log(
      result.exact.ok
        ? `  exact: the warehouse holds the ${int(stored)} pageviews the collector acknowledged: of the ${int(answered)} 202s seen (warm-ups included) and ${int(stored + bounded - answered)} in flight when a run stopped (at most ${int(result.exact.inFlight)}), all but ${int(bounded)} past their visitor-day's contribution bound`
        : `  MISMATCH: ${int(answered)} answered 202 (+ at most ${int(result.exact.inFlight)} in flight), the collector counted ${int(counted)} and ${int(bounded)} past the contribution bound, the warehouse holds ${int(stored)}`,
    )
    if (exitCode !== 0) console.log(`  tally exited with ${exitCode}:\n${tail(tally.logFile)}`)
    return result
  } finally {
    await tally.stop()
  }
}

/** Waits (up to two minutes) until the collector has written `accepted` events to the warehouse. */
async function writtenOut(tally: Tally, accepted: number): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (((await tally.metrics()).get('tally_events_flushed_total') ?? 0) >= accepted) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  console.log('  the collector had not written every accepted event after two minutes')
}

/** Why the pinned section cannot run here, or undefined when it can. */
export function whyNotPinned(): string | undefined {
  const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' })
  if (probe.error) return 'taskset (util-linux) is not installed'
  if (cpus().length < 2)
    return `one server core and one load-generator core are needed; this machine has ${cpus().length}`
  const allowed = cpuList(probe.stdout.split(':').pop()?.trim() ?? '')
  if (!allowed.has(SERVER_CORE) || !allowed.has(CLIENT_CORE))
    return `cores ${CLIENT_CORE} and ${SERVER_CORE} are needed; this process may run on ${[...allowed].join(',')}`
  return undefined
}

/** The affinity list of a process (`0-3,6`), or undefined when unknown. */
export function affinity(pid: number): string | undefined {
  const probe = spawnSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' })
  return probe.status === 0 ? probe.stdout.split(':').pop()?.trim() : undefined
}

/** Every thread of the process onto one core; threads and processes it starts later inherit it. */
export function pin(pid: number, core: number): void {
  const done = spawnSync('taskset', ['-a', '-cp', String(core), String(pid)], { encoding: 'utf8' })
  if (done.status !== 0) throw new Error(`taskset could not pin ${pid} to core ${core}: ${done.stderr}`)
}

function cpuList(list: string): Set<number> {
  const cores = new Set<number>()
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined]
    for (let core = from; core <= (to ?? from); core++) cores.add(core)
  }
  return cores
}

const median = (runs: HttpRun[]): HttpRun =>
  [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[
    Math.floor((runs.length - 1) / 2)
  ] as HttpRun

const middle = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0
