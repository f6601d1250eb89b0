import { trafficPool, type Visit } from '../../demo/model/requests.js'
import { eventRequest, type LoadRequest, type LoadResult, runLoad } from '../lib/http-load.ts'
import { type Child, procCpuSeconds, type Tally } from '../lib/instance.ts'
import { int, ms, table } from '../lib/report.ts'
import type { HttpRun } from './results.ts'
import { ORIGIN, type Settings, SITE } from './settings.ts'

/** One HTTP measurement: warm-up, then the timed run with the CPU time of every process involved. */
export type Measure = (
  label: string,
  target: Child | Tally,
  accepted: number,
  warehousePid?: number,
) => Promise<HttpRun>

const WAL_METRICS = ['tally_wal_commits_total', 'tally_wal_appends_total', 'tally_wal_commit_seconds_total']

export type MeasurerOptions = {
  /** The requests cycled through; by default the bench's mix of 20,000 beacon requests. */
  pool?: Visit[]
  /** Called with the warm-up's and the timed run's results, for checks that count every answer. */
  onLoad?: (result: LoadResult) => void
  /**
   * After this many passes over the pool the visitors come back from new addresses (the third
   * octet moves, same /16), so that a long run is many visitors with a few events each rather than
   * the same ones past their day's contribution bound, whose events are dropped without a write.
   */
  passesPerAddress?: number
}

export function measurer(settings: Settings, options: MeasurerOptions = {}): Measure {
  // One pool for every HTTP measurement, cycled through: the baseline and the collector get the very
  // same requests, and generating them costs the client nothing while it measures.
  const pool = options.pool ?? trafficPool(20_000, { site: SITE, origin: ORIGIN, seed: 3 })
  const passes = options.passesPerAddress
  let served = 0
  const eventRequests = (): (() => LoadRequest) => {
    if (passes === undefined) {
      let next = 0
      return () => eventRequest(pool[next++ % pool.length] as (typeof pool)[number])
    }
    // Counted across measurements: later runs keep going to new addresses.
    return () => {
      const visit = pool[served % pool.length] as (typeof pool)[number]
      const group = Math.floor(served++ / pool.length / passes)
      return group === 0 ? eventRequest(visit) : eventRequest(movedVisit(visit, group))
    }
  }

  return async (label, target, accepted, warehousePid) => {
    const warmup = await runLoad({
      label: `${label} (warm-up)`,
      url: target.url,
      next: eventRequests(),
      connections: settings.connections,
      seconds: settings.warmupSeconds,
      progress: false,
    })
    options.onLoad?.(warmup)
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
    options.onLoad?.(result)
    const cpu = target.cpuSeconds() - cpuBefore
    const client = process.cpuUsage(clientBefore)
    const warehouseCpu = warehousePid ? procCpuSeconds(warehousePid) - warehouseBefore : undefined
    const metricsAfter = await scrape(target)
    const perRequest = (seconds: number) => (result.requests > 0 ? (seconds * 1e6) / result.requests : 0)
    const run: HttpRun = {
      result,
      eventsPerSecond: (result.statuses[accepted] ?? 0) / result.seconds,
      cpuMicrosPerRequest: perRequest(cpu),
      serverCores: result.seconds > 0 ? cpu / result.seconds : 0,
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
}

function movedVisit(visit: Visit, group: number): Visit {
  const [a, b, c, d] = (visit.headers['x-forwarded-for'] ?? '').split('.')
  const moved = `${a}.${b}.${(Number(c) + group) % 256}.${d}`
  return { ...visit, headers: { ...visit.headers, 'x-forwarded-for': moved } }
}

async function scrape(target: Child | Tally): Promise<Map<string, number> | undefined> {
  if (!('metrics' in target)) return undefined
  try {
    return await target.metrics()
  } catch {
    return undefined
  }
}

export const best = (runs: HttpRun[]): HttpRun =>
  runs.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a), runs[0] as HttpRun)

const statusSummary = (result: LoadResult) =>
  Object.entries(result.statuses)
    .map(([status, count]) => `${status}×${int(count)}`)
    .join(' ') + (result.errors ? ` errors×${result.errors}` : '')

export function printRuns(rows: Array<[string, HttpRun]>) {
  console.log(
    table([
      [
        'run',
        'answers/s',
        'p50',
        'p99',
        'max',
        'CPU/request',
        'server cores',
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
        run.serverCores.toFixed(2),
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
