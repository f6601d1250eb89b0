import type { ClickHouseServer } from '../lib/clickhouse-server.ts'
import type { LoadResult } from '../lib/http-load.ts'
import { type Tally, tail } from '../lib/instance.ts'
import { heading, int, table } from '../lib/report.ts'
import { type Counters, delta, readCounters } from './counters.ts'
import { signed } from './format.ts'
import { type RunOptions, runningWarehouse } from './options.ts'
import { difference, eventsByType, withWarehouse } from './warehouse.ts'

/**
 * Nothing lost, nothing doubled: the rollups must count exactly the events answered 202, per
 * type. Stops `tally` when this run started it, so that its write buffer is flushed first.
 * Resolves to false on any difference.
 */
export async function checkCounts(check: {
  url: string
  options: RunOptions
  ingest: LoadResult
  /** The counters read just before the ingest. */
  before: Counters
  tally: Tally | undefined
  clickhouse: ClickHouseServer | null
}): Promise<boolean> {
  const { url, options, ingest, before, tally, clickhouse } = check
  heading('check: the rollups count exactly the events answered 202')
  const answered = acceptedByType(ingest)
  const after = await readCounters(url, tally, options)
  let stored: Map<string, number> | undefined
  let source: string
  const running = runningWarehouse(options)
  if (tally) {
    const code = await tally.stop()
    console.log(`  stopped tally (SIGTERM: the write buffer is flushed), exit code ${code}`)
    if (code !== 0) console.log(tail(tally.logFile))
    stored = await withWarehouse(
      clickhouse
        ? { kind: 'server', url: clickhouse.url, username: 'default', password: '', database: 'tally' }
        : { kind: 'embedded', path: tally.dataDir, database: 'tally' },
      (warehouse) => eventsByType(warehouse, options.site),
    )
    source = clickhouse
      ? 'traffic_daily on the clickhouse-server'
      : 'traffic_daily in the embedded data directory'
  } else if (running) {
    // A running instance flushes on its own interval: wait until the totals stop moving.
    stored = await withWarehouse(running, async (warehouse) => {
      const expected = [...answered.values()].reduce((a, b) => a + b, 0)
      const baseline = before.warehouse ?? new Map<string, number>()
      let current = new Map<string, number>()
      for (let attempt = 0; attempt < 30; attempt++) {
        current = difference(await eventsByType(warehouse, options.site), baseline)
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
  }
  return mismatches === 0
}

/** Events answered 202, per event type (one event per request in this scenario). */
function acceptedByType(result: LoadResult): Map<string, number> {
  const map = new Map<string, number>()
  for (const [type, byStatus] of Object.entries(result.byKind)) map.set(type, byStatus['202'] ?? 0)
  return map
}
