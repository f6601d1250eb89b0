import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isBot } from '../collector/bots.ts'
import { Event } from '../schemas/events.ts'
import { type ClickHouseServer, startClickHouseServer } from '../test/support/clickhouse-server.ts'
import { openWarehouse, type Warehouse } from '../warehouse/client.ts'
import { type LoadRequest, type LoadResult, runLoad } from './lib/http-load.ts'
import { parseMetrics, randomToken, removeDir, startTally, type Tally, tail } from './lib/instance.ts'
import { DASHBOARD_ENDPOINTS, lastDays, probeReadApi, type ReadTarget, statsPath } from './lib/read-api.ts'
import { heading, int, ms, num, table } from './lib/report.ts'
import { ALL_USER_AGENTS, createTraffic, EVENT_MIX } from './scenario.js'

/**
 * `npm run load`: the load scenarios of `load/ingest.js` and `load/dashboard.js`, for machines
 * without k6. Starts Tally on 127.0.0.1 (embedded, or `--mode server` on a clickhouse-server it
 * starts too), sends it a storefront's mixed events from many fake visitors, optionally runs the
 * dashboard scenario, stops Tally (SIGTERM flushes the write buffer) and then checks in the
 * warehouse that the rollups count exactly the events that were answered 202, per event type.
 *
 *   npm run load                                   # 50,000 events as fast as 50 connections go
 *   npm run load -- --events 200000 --rate 2000    # a constant 2,000 events/s
 *   npm run load -- --dashboard                    # then 20 dashboard users for 20 s
 *   npm run load -- --mode server                  # collector on a clickhouse-server
 *   npm run load -- --url http://127.0.0.1:8787    # a running instance (loopback only)
 *
 * Against a running instance (`--url`) the check needs the warehouse: `--clickhouse-url` for a
 * server; an embedded data directory cannot be opened while its process runs, so there the
 * instance's own counters (`/metrics`, with `--admin-token` when it has one) are compared instead.
 */

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    mode: { type: 'string', default: 'embedded' },
    events: { type: 'string', default: '50000' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string' },
    'max-seconds': { type: 'string', default: '300' },
    visitors: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    site: { type: 'string', default: 'demo' },
    origin: { type: 'string', default: 'https://shop.example' },
    dashboard: { type: 'boolean', default: false },
    'dashboard-users': { type: 'string', default: '20' },
    'dashboard-seconds': { type: 'string', default: '20' },
    'dashboard-token': { type: 'string' },
    'admin-token': { type: 'string' },
    'clickhouse-url': { type: 'string' },
    'clickhouse-database': { type: 'string', default: 'tally' },
    'log-level': { type: 'string', default: 'warn' },
    keep: { type: 'boolean', default: false },
  },
})

const events = num(values.events, 'events', 50_000)
const connections = num(values.connections, 'connections', 50)
const rate = values.rate === undefined ? undefined : num(values.rate, 'rate', 0)
const maxSeconds = num(values['max-seconds'], 'max-seconds', 300)
const site = values.site
const origin = values.origin.replace(/\/$/, '')
const mode = values.mode
if (mode !== 'embedded' && mode !== 'server') throw new Error('--mode is embedded or server')
if (values.url && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(values.url)) {
  throw new Error('--url must be a loopback address (http://127.0.0.1:PORT): load goes to this machine only')
}

// The scenario must be what it claims: valid events from browsers, not bots.
const bots = ALL_USER_AGENTS.filter((ua) => isBot(ua))
if (bots.length > 0) throw new Error(`the scenario has user agents the collector counts as bots: ${bots[0]}`)
{
  const sample = createTraffic({ site, origin, seed: 99 })
  for (let i = 0; i < 2000; i++) {
    const visit = sample.next()
    const parsed = Event.safeParse(visit.event)
    if (!parsed.success) throw new Error(`the scenario made an invalid event: ${visit.body}`)
  }
}

const dashboardToken = values['dashboard-token'] ?? randomToken()
let clickhouse: ClickHouseServer | null = null
let tally: Tally | undefined
let workDir: string | undefined
let exitCode = 0

try {
  // --- the instance -------------------------------------------------------------------------
  let baseUrl: string
  if (values.url) {
    baseUrl = values.url.replace(/\/$/, '')
    console.log(`target: ${baseUrl} (running instance)`)
  } else {
    workDir = mkdtempSync(join(tmpdir(), 'tally-load-'))
    if (mode === 'server') {
      clickhouse = await startClickHouseServer()
      if (!clickhouse)
        throw new Error('--mode server needs clickhouse-server (apt-get install clickhouse-server)')
    }
    tally = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: {
        SITES: `${site}=${origin}`,
        TRUST_PROXY: '1',
        LOG_LEVEL: values['log-level'],
        DASHBOARD_TOKEN: dashboardToken,
        API_TOKEN: randomToken(),
      },
      workDir,
    })
    baseUrl = tally.url
    console.log(
      `started tally at ${baseUrl}, ${clickhouse ? `clickhouse-server at ${clickhouse.url}` : `embedded data in ${tally.dataDir}`}`,
    )
  }

  // --- ingest ------------------------------------------------------------------------------
  const mix = Object.entries(EVENT_MIX)
    .map(([type, share]) => `${type} ${share}%`)
    .join(', ')
  heading(
    `ingest: ${int(events)} events from ${int(num(values.visitors, 'visitors', 0))} visitors, ${connections} connections, ${rate ? `${int(rate)} events/s` : 'as fast as answered'}`,
  )
  console.log(`  mix: ${mix}`)
  const before = await counters(baseUrl)
  const traffic = createTraffic({
    site,
    origin,
    visitors: num(values.visitors, 'visitors', 20_000),
    seed: num(values.seed, 'seed', 1),
  })
  const ingest = await runLoad({
    label: 'ingest',
    url: baseUrl,
    connections,
    amount: events,
    maxSeconds,
    ...(rate ? { rate } : {}),
    next: (): LoadRequest => {
      const visit = traffic.next()
      return {
        method: 'POST',
        path: '/api/event',
        headers: visit.headers,
        body: visit.body,
        kind: visit.type,
        expect: visit.expect,
      }
    },
  })
  printIngest(ingest)

  // --- dashboard ---------------------------------------------------------------------------
  let dashboard: LoadResult | { skipped: string } | undefined
  if (values.dashboard) {
    const seconds = num(values['dashboard-seconds'], 'dashboard-seconds', 20)
    const users = num(values['dashboard-users'], 'dashboard-users', 20)
    heading(`dashboard: ${users} concurrent users for ${seconds} s`)
    const target: ReadTarget = { url: baseUrl, token: dashboardToken, site, ...lastDays(30) }
    const probe = await probeReadApi(target)
    if (!probe.available) {
      // Reads use {name:Type} query parameters, which arrived in ClickHouse 19.
      const hint = clickhouse ? ' (the read API needs ClickHouse 19 or later; Debian ships 18.16)' : ''
      dashboard = { skipped: `${probe.reason}${hint}` }
      console.log(`  skipped: ${dashboard.skipped}`)
    } else {
      let next = 0
      dashboard = await runLoad({
        label: 'dashboard',
        url: baseUrl,
        connections: users,
        seconds,
        maxSeconds: seconds + 30,
        next: (): LoadRequest => {
          const endpoint = DASHBOARD_ENDPOINTS[next++ % DASHBOARD_ENDPOINTS.length] ?? 'overview'
          const days = next % 2 === 0 ? 7 : 30
          return {
            method: 'GET',
            path: statsPath(endpoint, { ...target, ...lastDays(days) }),
            headers: { authorization: `Bearer ${dashboardToken}` },
            kind: endpoint,
            expect: 200,
          }
        },
      })
      console.log(
        table([
          ['requests/s', 'p50', 'p95', 'p99', 'errors', 'statuses'],
          [
            int(dashboard.requestsPerSecond),
            ms(dashboard.latency.p50),
            ms(dashboard.latency.p95),
            ms(dashboard.latency.p99),
            String(dashboard.errors + dashboard.timeouts),
            statuses(dashboard.statuses),
          ],
        ]),
      )
    }
  }

  // --- nothing lost, nothing doubled ---------------------------------------------------------
  heading('check: the rollups count exactly the events answered 202')
  const answered = acceptedByType(ingest)
  const after = await counters(baseUrl)
  let stored: Map<string, number> | undefined
  let source: string
  if (tally) {
    const code = await tally.stop()
    console.log(`  stopped tally (SIGTERM: the write buffer is flushed), exit code ${code}`)
    if (code !== 0) console.log(tail(tally.logFile))
    stored = await withWarehouse(
      clickhouse
        ? { kind: 'server', url: clickhouse.url, username: 'default', password: '', database: 'tally' }
        : { kind: 'embedded', path: tally.dataDir, database: 'tally' },
      (warehouse) => eventsByType(warehouse, site),
    )
    source = clickhouse
      ? 'traffic_daily on the clickhouse-server'
      : 'traffic_daily in the embedded data directory'
  } else if (values['clickhouse-url']) {
    // A running instance flushes on its own interval: wait until the totals stop moving.
    const config = {
      kind: 'server' as const,
      url: values['clickhouse-url'],
      username: process.env.CLICKHOUSE_USER ?? 'default',
      password: process.env.CLICKHOUSE_PASSWORD ?? '',
      database: values['clickhouse-database'],
    }
    stored = await withWarehouse(config, async (warehouse) => {
      const expected = [...answered.values()].reduce((a, b) => a + b, 0)
      const baseline = before.warehouse ?? new Map<string, number>()
      let current = new Map<string, number>()
      for (let attempt = 0; attempt < 30; attempt++) {
        current = difference(await eventsByType(warehouse, site), baseline)
        if ([...current.values()].reduce((a, b) => a + b, 0) >= expected) break
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
      return current
    })
    source = 'traffic_daily on --clickhouse-url (difference over the run)'
  } else {
    source = "the instance's /metrics (tally_events_accepted_total and tally_events_flushed_total)"
    console.log(
      '  the warehouse of a running embedded instance cannot be opened from here (one process per data directory):',
    )
    console.log('  comparing its own counters instead; pass --clickhouse-url for a server-mode instance.')
  }

  const rows: string[][] = [['type', 'answered 202', 'in the warehouse', 'difference']]
  let mismatches = 0
  const types = new Set([...answered.keys(), ...(stored?.keys() ?? [])])
  for (const type of [...types].sort()) {
    const sent = answered.get(type) ?? 0
    const kept = stored?.get(type)
    if (kept !== undefined && kept !== sent) mismatches++
    rows.push([
      type,
      int(sent),
      kept === undefined ? '-' : int(kept),
      kept === undefined ? '' : signed(kept - sent),
    ])
  }
  const sentTotal = [...answered.values()].reduce((a, b) => a + b, 0)
  const keptTotal = stored ? [...stored.values()].reduce((a, b) => a + b, 0) : undefined
  rows.push([
    'total',
    int(sentTotal),
    keptTotal === undefined ? '-' : int(keptTotal),
    keptTotal === undefined ? '' : signed(keptTotal - sentTotal),
  ])
  console.log(table(rows))
  console.log(`  warehouse figures from ${source}`)

  const acceptedCounter = delta(after.metrics, before.metrics, 'tally_events_accepted_total')
  const flushedCounter = delta(after.metrics, before.metrics, 'tally_events_flushed_total')
  if (acceptedCounter !== undefined) {
    console.log(
      `  the collector's own counters: accepted ${int(acceptedCounter)}${flushedCounter === undefined ? '' : `, flushed ${int(flushedCounter)} (${tally ? 'before shutdown' : 'so far'})`}`,
    )
    if (acceptedCounter !== sentTotal) {
      mismatches++
      console.log(
        `  MISMATCH: the client saw ${int(sentTotal)} answers 202, the collector counted ${int(acceptedCounter)}`,
      )
    }
  }
  if (ingest.stoppedByTimeLimit) {
    console.log(
      '  note: the run hit --max-seconds; requests in flight at that moment may be counted on one side only',
    )
  }
  if (stored && mismatches === 0) {
    console.log(
      '  exact: every event answered 202 is counted once in the rollups; nothing lost, nothing doubled',
    )
  } else if (stored) {
    console.log('  MISMATCH: the rollups do not count exactly the events answered 202')
    exitCode = 1
  } else if (mismatches > 0) {
    exitCode = 1
  }
  if (ingest.unexpected > 0 || ingest.errors > 0) exitCode = 1
  if (dashboard && !('skipped' in dashboard) && dashboard.unexpected > 0) exitCode = 1
} catch (error) {
  console.error(`load: ${error instanceof Error ? error.message : String(error)}`)
  if (tally) console.error(tail(tally.logFile))
  exitCode = 1
} finally {
  await tally?.stop()
  await clickhouse?.dispose()
  if (!values.keep) removeDir(workDir)
  else if (workDir) console.log(`kept ${workDir}`)
}
process.exit(exitCode)

// --- helpers -------------------------------------------------------------------------------------

function printIngest(result: LoadResult) {
  const accepted = result.statuses['202'] ?? 0
  console.log(
    table([
      ['events/s (202)', 'requests', 'p50', 'p90', 'p99', 'max', 'unexpected', 'errors', 'statuses'],
      [
        int(accepted / result.seconds),
        int(result.requests),
        ms(result.latency.p50),
        ms(result.latency.p90),
        ms(result.latency.p99),
        ms(result.latency.max),
        int(result.unexpected),
        int(result.errors + result.timeouts),
        statuses(result.statuses),
      ],
    ]),
  )
}

function statuses(map: Record<string, number>): string {
  return Object.entries(map)
    .map(([status, count]) => `${status}×${int(count)}`)
    .join(' ')
}

function signed(value: number): string {
  return value === 0 ? '0' : value > 0 ? `+${int(value)}` : `-${int(-value)}`
}

/** Events answered 202, per event type (one event per request in this scenario). */
function acceptedByType(result: LoadResult): Map<string, number> {
  const map = new Map<string, number>()
  for (const [type, byStatus] of Object.entries(result.byKind)) map.set(type, byStatus['202'] ?? 0)
  return map
}

async function counters(
  url: string,
): Promise<{ metrics?: Map<string, number>; warehouse?: Map<string, number> }> {
  const result: { metrics?: Map<string, number>; warehouse?: Map<string, number> } = {}
  const metrics = tally ? await tally.metrics().catch(() => undefined) : await scrape(url)
  if (metrics) result.metrics = metrics
  if (!tally && values['clickhouse-url']) {
    result.warehouse = await withWarehouse(
      {
        kind: 'server',
        url: values['clickhouse-url'],
        username: process.env.CLICKHOUSE_USER ?? 'default',
        password: process.env.CLICKHOUSE_PASSWORD ?? '',
        database: values['clickhouse-database'],
      },
      (warehouse) => eventsByType(warehouse, site),
    )
  }
  return result
}

async function scrape(url: string): Promise<Map<string, number> | undefined> {
  try {
    const token = values['admin-token']
    const response = await fetch(
      `${url}/metrics`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    )
    return response.ok ? parseMetrics(await response.text()) : undefined
  } catch {
    return undefined
  }
}

function delta(
  after: Map<string, number> | undefined,
  before: Map<string, number> | undefined,
  name: string,
) {
  const value = after?.get(name)
  return value === undefined ? undefined : value - (before?.get(name) ?? 0)
}

function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>()
  for (const [type, count] of after) result.set(type, count - (before.get(type) ?? 0))
  return result
}

async function withWarehouse<T>(
  config: Parameters<typeof openWarehouse>[0],
  use: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  const warehouse = await openWarehouse(config)
  try {
    return await use(warehouse)
  } finally {
    await warehouse.close()
  }
}

/** Events per type in `traffic_daily`: every event lands there once, whatever its type. */
async function eventsByType(warehouse: Warehouse, siteId: string): Promise<Map<string, number>> {
  // The site id was validated by the config schema's pattern (letters, digits, _ and -), and
  // ClickHouse 18.16 has no query parameters: it is quoted here.
  if (!/^[A-Za-z0-9_-]+$/.test(siteId)) throw new Error(`bad site id ${siteId}`)
  const result = await warehouse.client.query({
    query: `SELECT type, sumMerge(events) AS events FROM traffic_daily WHERE site = '${siteId}' GROUP BY type`,
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ type: string; events: number | string }>()
  return new Map(rows.map((row) => [row.type, Number(row.events)]))
}
