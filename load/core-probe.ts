import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { trafficPool } from '../demo/model/requests.js'
import { measurer } from './bench/measure.ts'
import { COLLECTOR_ENV, ORIGIN, SITE } from './bench/settings.ts'
import { startClickHouseServer } from './lib/clickhouse-server.ts'
import { startTally } from './lib/instance.ts'

/**
 * Where a collector's core and memory go under the pinned bench's load (section 8: its pageviews,
 * 50 connections, Tally on core 1, the load generator and clickhouse-server on core 0), without
 * the bare rounds: the CPU time of each of Tally's threads per 202 (the main thread, chDB's pools),
 * the same until every accepted event is written (what the warehouse costs per event in all, its
 * later flushes included), resident memory each second and at its peak, and where the resident
 * memory lies (the binary, malloc's heap, anonymous maps: V8's heap among them).
 *
 *   node --import tsx load/core-probe.ts --mode embedded --env FLUSH_INTERVAL_MS=5000
 *   node --import tsx load/core-probe.ts --node-args '--heap-growing-percent=50 --trace-gc'
 *   ... --snapshot   (a heap snapshot at the end, written into the checkout by the collector)
 */

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'server' },
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    snapshot: { type: 'boolean', default: false },
  },
})
const rounds = Number(values.rounds)
const env = Object.fromEntries(
  values.env
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2) as [string, string]),
)
// Linux counts a thread's CPU time in ticks of 10 ms (CLK_TCK 100).
const TICK_US = 10_000
const pin = (pid: number, core: number) =>
  spawnSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' })

pin(process.pid, 0)
const workDir = mkdtempSync(join(tmpdir(), 'core-probe-'))
const clickhouse = values.mode === 'embedded' ? null : await startClickHouseServer()
if (clickhouse) pin(clickhouse.pid() ?? 0, 0)
const tally = await startTally({
  warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
  env: { ...COLLECTOR_ENV, ...env },
  workDir,
  nodeArgs: ['--heapsnapshot-signal=SIGUSR2', ...values['node-args'].split(' ').filter(Boolean)],
})
pin(tally.pid, 1)

const status = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${tally.pid}/status`, 'utf8'))?.[1]) /
  1024
/** CPU ticks of each of Tally's threads, by name (digits folded), the main thread as `main`. */
const threads = () => {
  const byName = new Map<string, number>()
  for (const task of readdirSync(`/proc/${tally.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${tally.pid}/task/${task}/stat`, 'utf8')
      const name =
        task === String(tally.pid) ? 'main' : (/\((.*)\)/.exec(stat)?.[1] ?? '?').replace(/\d+/g, '#')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      byName.set(name, (byName.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]))
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return byName
}
const sum = (ticks: Map<string, number>) => [...ticks.values()].reduce((a, b) => a + b, 0)

let served = 0
const pool = trafficPool(20_000, { site: SITE, origin: ORIGIN, seed: 3, mix: { pageview: 1 } }).filter(
  (visit) => visit.type === 'pageview' && visit.expect === 202,
)
const settings = { quick: false, seconds: Number(values.seconds), warmupSeconds: 2, rounds, connections: 50 }
const measure = measurer(
  { ...settings, events: 0, days: 0, readRequests: 0, recommendPerDay: 0, publishDays: 0 },
  {
    pool,
    passesPerAddress: 4,
    onLoad: (result) => {
      served += result.statuses[202] ?? 0
    },
  },
)
const samples: number[] = []
const timer = setInterval(() => samples.push(Math.round(status('VmRSS'))), 1000)
const before = threads()
for (let round = 1; round <= rounds; round++) {
  const run = await measure(`round ${round}`, tally, 202, clickhouse?.pid())
  console.log(
    `round ${round}: ${Math.round(run.eventsPerSecond)}/s, p99 ${run.result.latency.p99.toFixed(1)} ms, VmRSS ${status('VmRSS').toFixed(0)} MB, VmHWM ${status('VmHWM').toFixed(0)} MB`,
  )
}
clearInterval(timer)
const during = threads()
const accepted = (await tally.metrics()).get('tally_events_accepted_total') ?? 0
const waited = Date.now()
while (((await tally.metrics()).get('tally_events_flushed_total') ?? 0) < accepted) {
  await new Promise((resolve) => setTimeout(resolve, 500))
}
const written = threads()
const perServed = (ticks: number) => ((ticks * TICK_US) / served).toFixed(1)
console.log(
  `${served} answered 202; CPU per 202 during the rounds ${perServed(sum(during) - sum(before))} µs, until every accepted event was written (${Date.now() - waited} ms later) ${perServed(sum(written) - sum(before))} µs`,
)
const byThread = [...during]
  .map(([name, ticks]) => [name, ticks - (before.get(name) ?? 0)] as const)
  .filter(([, ticks]) => ticks > 0)
  .sort((a, b) => b[1] - a[1])
console.log(
  `by thread, µs per 202: ${byThread.map(([name, ticks]) => `${name} ${perServed(ticks)}`).join(', ')}`,
)

const regions = new Map<string, number>()
let region = ''
for (const line of readFileSync(`/proc/${tally.pid}/smaps`, 'utf8').split('\n')) {
  if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) region = line.split(/\s+/).slice(5).join(' ') || '[anon]'
  else if (line.startsWith('Rss:'))
    regions.set(region, (regions.get(region) ?? 0) + Number(line.split(/\s+/)[1]) / 1024)
}
const largest = [...regions].sort((a, b) => b[1] - a[1]).slice(0, 4)
console.log(
  `resident now by mapping: ${largest.map(([name, mb]) => `${name.split('/').pop()} ${mb.toFixed(1)} MB`).join(', ')}`,
)
console.log(`resident each second, MB: ${samples.join(' ')}`)
if (values.snapshot) {
  process.kill(tally.pid, 'SIGUSR2')
  await new Promise((resolve) => setTimeout(resolve, 8000))
}
await tally.stop()
await clickhouse?.dispose()
