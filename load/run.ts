import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseServer, startClickHouseServer } from './lib/clickhouse-server.ts'
import type { LoadResult } from './lib/http-load.ts'
import { randomToken, removeDir, startTally, type Tally, tail } from './lib/instance.ts'
import { checkCounts } from './run/check.ts'
import { readCounters } from './run/counters.ts'
import { runDashboard } from './run/dashboard.ts'
import { announceIngest, sendEvents } from './run/ingest.ts'
import { readOptions } from './run/options.ts'
import { checkScenario } from './run/scenario-check.ts'

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
 *   npm run load -- --mode server --workers 2      # ... as two processes (WORKERS)
 *   npm run load -- --url http://127.0.0.1:8787    # a running instance (loopback only)
 *
 * Against a running instance (`--url`) the check needs the warehouse: `--clickhouse-url` for a
 * server; an embedded data directory cannot be opened while its process runs, so there the
 * instance's own counters (`/metrics`, with `--admin-token` when it has one) are compared instead.
 *
 * The phases are files of load/run/; this one owns the processes it starts and stops them.
 */

const options = readOptions()
checkScenario(options.site, options.origin)

let clickhouse: ClickHouseServer | null = null
let tally: Tally | undefined
let workDir: string | undefined
let exitCode = 0

try {
  let baseUrl: string
  if (options.url) {
    baseUrl = options.url.replace(/\/$/, '')
    console.log(`target: ${baseUrl} (running instance)`)
  } else {
    workDir = mkdtempSync(join(tmpdir(), 'tally-load-'))
    if (options.mode === 'server') {
      clickhouse = await startClickHouseServer()
      if (!clickhouse)
        throw new Error('--mode server needs clickhouse-server (apt-get install clickhouse-server)')
    }
    tally = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: {
        SITES: `${options.site}=${options.origin}`,
        TRUST_PROXY: '1',
        LOG_LEVEL: options.logLevel,
        DASHBOARD_TOKEN: options.dashboardToken,
        API_TOKEN: randomToken(),
      },
      workDir,
      workers: options.workers,
    })
    baseUrl = tally.url
    console.log(
      `started tally${options.workers > 1 ? ` (WORKERS=${options.workers})` : ''} at ${baseUrl}, ${clickhouse ? `clickhouse-server at ${clickhouse.url}` : `embedded data in ${tally.dataDir}`}`,
    )
  }

  announceIngest(options)
  const before = await readCounters(baseUrl, tally, options)
  const ingest = await sendEvents(baseUrl, options)

  let dashboard: LoadResult | { skipped: string } | undefined
  if (options.dashboard) dashboard = await runDashboard(baseUrl, options, clickhouse !== null)

  const exact = await checkCounts({ url: baseUrl, options, ingest, before, tally, clickhouse })
  if (!exact) exitCode = 1
  if (ingest.unexpected > 0 || ingest.errors > 0) exitCode = 1
  if (dashboard && !('skipped' in dashboard) && dashboard.unexpected > 0) exitCode = 1
} catch (error) {
  console.error(`load: ${error instanceof Error ? error.message : String(error)}`)
  if (tally) console.error(tail(tally.logFile))
  exitCode = 1
} finally {
  await tally?.stop()
  await clickhouse?.dispose()
  if (!options.keep) removeDir(workDir)
  else if (workDir) console.log(`kept ${workDir}`)
}
process.exit(exitCode)
