import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type LoadRequest, type LoadResult, runLoad } from '../lib/http-load.ts'
import { ROOT, randomToken, startBareServer, startTally, type Tally } from '../lib/instance.ts'
import { pacedLoad } from '../lib/paced-load.ts'
import { int, ms, table } from '../lib/report.ts'
import { affinity, CLIENT_CORE, pin, SERVER_CORE, whyNotPinned } from './pinned.ts'
import { STARTUP_JOBS, startupJobs } from './read.ts'
import type { BareRun, RecommendRuns, RecommendSection } from './results.ts'
import { COLLECTOR_ENV, SITE } from './settings.ts'

/** The goal: fast enough to call on every page view. */
export const RECOMMEND_P95_GOAL_MS = 10
/** Requests a second of the paced run: 50 storefront servers at 20 page views a second each. */
export const PACED_RATE = 1000

// Values for a segment's `*`: a visitor the coarse segment stands for (GB matches no finer one).
const FILL: Record<string, string> = { device: 'desktop', country: 'GB', source: 'direct', category: 'misc' }

/**
 * Section 7: `GET /api/v1/recommend` at `connections` concurrent clients over the data of
 * `npm run demo` (recorded with --seed-only: `days` days at `perDay` visits). The visitors asked for
 * are one per released segment (with `*` filled in) and a few no segment matches, round-robin,
 * with choose=best and choose=sample.
 */
export async function recommendSection(options: {
  workDir: string
  days: number
  perDay: number
  connections: number
  seconds: number
}): Promise<RecommendSection> {
  // The demo's own shop (`npm run demo -- --seed-only`): one offer with three variants whose true
  // rates differ by segment, as the recommendation service meets it.
  const dataDir = join(options.workDir, 'recommend-demo')
  const seeded = await seedDemo(dataDir, options.days, options.perDay)
  const events = seeded.events
  const token = randomToken()
  const tally = await startTally({
    warehouse: { kind: 'embedded', dataDir },
    env: { ...COLLECTOR_ENV, LOG_LEVEL: 'info', API_TOKEN: token, DASHBOARD_TOKEN: randomToken() },
    workDir: options.workDir,
  })
  try {
    // The insights job writes the snapshot /recommend serves; the others share the warehouse.
    await startupJobs(tally.logFile, STARTUP_JOBS, 900_000)
    const headers = { authorization: `Bearer ${token}` }
    const answer = await fetch(`${tally.url}/api/v1/segments?site=${SITE}&limit=1000`, { headers })
    const { rows } = (await answer.json()) as { rows: Array<Record<string, string>> }
    if (!rows?.length) return { skipped: 'the insights job released no segment' }
    // Unknown values (an empty country) are left out, as a client that does not know them would.
    const visitors = [
      ...rows.map((row) =>
        Object.entries(FILL)
          .map(([dim, fill]) => [dim, row[dim] === '*' ? fill : row[dim]] as const)
          .filter(([, value]) => value)
          .map(([dim, value]) => `${dim}=${encodeURIComponent(value as string)}`)
          .join('&'),
      ),
      'device=mobile&country=GB&source=paid&category=wipers',
      'country=CH',
      '',
    ]
    const offers = await offerIds(tally.url, headers, rows)
    const offerParam = (offer: string | undefined) => (offer ? `offer=${encodeURIComponent(offer)}&` : '')
    const decisions: Record<string, number> = {}
    for (const visitor of visitors) {
      const body = (await (
        await fetch(`${tally.url}/api/v1/recommend?site=${SITE}&${offerParam(offers[0])}${visitor}`, {
          headers,
        })
      ).json()) as { decision: string }
      decisions[body.decision] = (decisions[body.decision] ?? 0) + 1
    }
    // Every visitor with every offer, choose=best and sample alternating: built once, sent in turn
    // by every connection (runLoad's `cycle`: the load generator shares the two cores).
    const cycle = Array.from({ length: 2 * visitors.length * offers.length }, (_, next): LoadRequest => {
      const visitor = visitors[next % visitors.length]
      const choose = next % 2 === 0 ? 'best' : 'sample'
      const offer = offers[Math.floor(next / visitors.length) % offers.length]
      return {
        method: 'GET',
        path: `/api/v1/recommend?site=${SITE}&${offerParam(offer)}${visitor}&choose=${choose}`,
        headers,
        kind: 'recommend',
        expect: 200,
      }
    })
    const load = { url: tally.url, cycle, connections: options.connections }
    await runLoad({ ...load, label: 'warm-up', seconds: 2 })
    const shared = await measureBoth(load, tally, options.seconds, '')
    // The same again with the service on one core and the load generator on the other, as section 8
    // pins them: on two shared cores each response wakes the load generator, which then takes the
    // core from the service in the middle of its write (and the other way round).
    const why = whyNotPinned()
    let pinned: RecommendRuns | { skipped: string } = { skipped: why ?? '' }
    if (!why) {
      const ownAffinity = affinity(process.pid)
      try {
        pin(tally.pid, SERVER_CORE)
        pin(process.pid, CLIENT_CORE)
        await runLoad({ ...load, label: 'warm-up, pinned', seconds: 2 })
        pinned = await measureBoth(load, tally, options.seconds, ', pinned')
      } finally {
        if (ownAffinity)
          spawnSync('taskset', ['-a', '-cp', ownAffinity, String(process.pid)], { stdio: 'ignore' })
      }
    }
    // For scale, the least an HTTP server can do, under the same load generator at the same time:
    // bare node:http answering 204 to the same requests (it also answers more briefly, which
    // costs the generator less per answer).
    const bareRuns = await bareBaseline(options.workDir, cycle, options.connections, options.seconds)
    const row = (label: string, run: LoadResult, cpu: string) => [
      label,
      int(run.requestsPerSecond),
      cpu,
      ms(run.latency.p50),
      ms(run.latency.p95),
      ms(run.latency.p99),
      ms(run.latency.max),
      Object.entries(run.statuses)
        .map(([status, count]) => `${status}×${count}`)
        .join(' '),
      `< ${RECOMMEND_P95_GOAL_MS} ms: ${run.latency.p95 < RECOMMEND_P95_GOAL_MS ? 'met' : 'not met'}`,
    ]
    const cpu = (runs: RecommendRuns) =>
      `${runs.cpuMicrosPerRequest.toFixed(0)} µs (load generator ${runs.loadGeneratorMicrosPerRequest.toFixed(0)} µs)`
    console.log(
      `  ${int(visitors.length)} visitors (${rows.length} segments), ${options.connections} connections`,
    )
    console.log(
      table([
        ['load', 'requests/s', 'CPU/request', 'p50', 'p95', 'p99', 'max', 'statuses', 'goal p95'],
        row('as fast as answered', shared.result, cpu(shared)),
        row(`paced, ${PACED_RATE}/s`, shared.paced, '-'),
        row(
          'bare node:http, as fast as answered',
          bareRuns.result,
          `${bareRuns.cpuMicrosPerRequest.toFixed(0)} µs (load generator ${bareRuns.loadGeneratorMicrosPerRequest.toFixed(0)} µs)`,
        ),
        ...('result' in pinned
          ? [
              row(`pinned, as fast as answered`, pinned.result, cpu(pinned)),
              row(`pinned, paced, ${PACED_RATE}/s`, pinned.paced, '-'),
            ]
          : []),
      ]),
    )
    if ('skipped' in pinned) console.log(`  pinned runs skipped: ${pinned.skipped}`)
    else console.log(`  pinned: service on core ${SERVER_CORE}, load generator on core ${CLIENT_CORE}`)
    console.log(`  decisions over the visitors asked: ${JSON.stringify(decisions)}`)
    return {
      events,
      segments: rows.length,
      offers: offers.length,
      visitors: visitors.length,
      connections: options.connections,
      ...shared,
      pinned,
      bare: bareRuns,
      decisions,
    }
  } finally {
    await tally.stop()
  }
}

/**
 * As fast as answered, with the CPU each side spent per answer, then paced. As fast as the server
 * answers, latency is connections / throughput (Little's law): p95 under 10 ms at 50 clients needs
 * 5,000 answers a second. Page views arrive at their own pace, so the same 50 clients are also
 * measured at a steady PACED_RATE requests a second (pacedLoad: one request every millisecond, not
 * autocannon's rate, which sends each second's share at once).
 */
async function measureBoth(
  load: { url: string; cycle: LoadRequest[]; connections: number },
  tally: Tally,
  seconds: number,
  label: string,
): Promise<RecommendRuns> {
  const cpuBefore = tally.cpuSeconds()
  const ownBefore = process.cpuUsage()
  const result = await runLoad({ ...load, label: `recommend${label}`, seconds, maxSeconds: seconds + 30 })
  // The service's CPU per answer, and the load generator's own, on the same cores when not pinned.
  const cpuMicrosPerRequest = ((tally.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests)
  const own = process.cpuUsage(ownBefore)
  const loadGeneratorMicrosPerRequest = (own.user + own.system) / Math.max(1, result.requests)
  const paced = await pacedLoad({
    ...load,
    label: `recommend at ${PACED_RATE}/s${label}`,
    seconds,
    rate: PACED_RATE,
  })
  return { result, paced, cpuMicrosPerRequest, loadGeneratorMicrosPerRequest }
}

/** `cycle` against bare node:http (load/bare-server.ts) as fast as answered, every answer a 204. */
async function bareBaseline(
  workDir: string,
  cycle: LoadRequest[],
  connections: number,
  seconds: number,
): Promise<BareRun> {
  const bare = await startBareServer(workDir)
  try {
    const load = { url: bare.url, cycle: cycle.map((request) => ({ ...request, expect: 204 })), connections }
    await runLoad({ ...load, label: 'warm-up, bare node:http', seconds: 2 })
    const cpuBefore = bare.cpuSeconds()
    const ownBefore = process.cpuUsage()
    const result = await runLoad({ ...load, label: 'bare node:http', seconds, maxSeconds: seconds + 30 })
    const own = process.cpuUsage(ownBefore)
    return {
      result,
      cpuMicrosPerRequest: ((bare.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests),
      loadGeneratorMicrosPerRequest: (own.user + own.system) / Math.max(1, result.requests),
    }
  } finally {
    await bare.stop()
  }
}

/** The offers of the snapshot: those of the largest segments' released variants. */
async function offerIds(
  url: string,
  headers: Record<string, string>,
  segments: Array<Record<string, string>>,
): Promise<Array<string | undefined>> {
  const ids = new Set<string>()
  for (const segment of segments) {
    const answer = await fetch(
      `${url}/api/v1/offers?site=${SITE}&segment=${encodeURIComponent(segment.segment ?? '')}`,
      { headers },
    )
    for (const row of ((await answer.json()) as { rows?: Array<{ offer_id: string }> }).rows ?? [])
      ids.add(row.offer_id)
  }
  // None released: every answer is `explore`, and the offer may go unnamed.
  return ids.size > 0 ? [...ids].sort() : [undefined]
}

/** Records `npm run demo`'s history into `dataDir` (its --seed-only mode, as a process of its own). */
async function seedDemo(dataDir: string, days: number, perDay: number): Promise<{ events: number }> {
  const port = await freePort()
  const args = ['--import', 'tsx', 'demo/main.ts', '--seed-only', '--live', '0']
  const options = [
    '--days',
    String(days),
    '--per-day',
    String(perDay),
    '--data-dir',
    dataDir,
    '--port',
    String(port),
  ]
  const started = performance.now()
  const { code, output } = await run([...args, ...options])
  if (code !== 0) throw new Error(`npm run demo -- --seed-only failed (${code}): ${output.slice(-2000)}`)
  // The demo's summary line ("N visits, M events (…)") is the last to name events.
  const counts = [...output.matchAll(/([\d,]+) visits, ([\d,]+) events/g)].at(-1)
  const events = Number(counts?.[2]?.replaceAll(',', '') ?? 0)
  console.log(
    `  demo data: ${days} days at ~${int(perDay)} visits a day, ${int(events)} events, recorded in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
  return { events }
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('exit', (code) => resolve({ code, output }))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
