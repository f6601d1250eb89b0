import { existsSync } from 'node:fs'
import type { IngestFigures } from '../ingest-demo.ts'
import { type LoadRequest, type LoadResult, runLoad } from '../lib/http-load.ts'
import { randomToken, startTally } from '../lib/instance.ts'
import { int, ms, table } from '../lib/report.ts'
import { ingestSection } from './ingest.ts'
import { STARTUP_JOBS, startupJobs } from './read.ts'
import { COLLECTOR_ENV, SITE } from './settings.ts'

/** The goal: fast enough to call on every page view. */
export const RECOMMEND_P95_GOAL_MS = 10

export type RecommendSection =
  | {
      events: number
      segments: number
      offers: number
      visitors: number
      connections: number
      result: LoadResult
      /** Share of answers per decision over the visitors asked, once each. */
      decisions: Record<string, number>
    }
  | { skipped: string }

// Values for a segment's `*`: a visitor the coarse segment stands for (GB matches no finer one).
const FILL: Record<string, string> = { device: 'desktop', country: 'GB', source: 'direct', category: 'misc' }

/**
 * Section 7: `GET /api/v1/recommend` at `connections` concurrent clients over the demo data:
 * section 3's when it ran, otherwise a demo data set of its own (`events`, 200,000 by default: a
 * few weeks of `npm run demo`). The visitors asked for are one per released segment (with `*`
 * filled in) and a few no segment matches, round-robin, with choose=best and choose=sample.
 */
export async function recommendSection(options: {
  ingest: IngestFigures | undefined
  dataDir: string
  workDir: string
  events: number
  days: number
  connections: number
  seconds: number
}): Promise<RecommendSection> {
  let events = options.ingest?.events
  if (events === undefined || !existsSync(options.dataDir)) {
    console.log(`  no demo data from section 3: recording ${int(options.events)} demo events first`)
    events = (await ingestSection(options.dataDir, options.events, options.days)).events
  }
  const token = randomToken()
  const tally = await startTally({
    warehouse: { kind: 'embedded', dataDir: options.dataDir },
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
    const decisions: Record<string, number> = {}
    for (const visitor of visitors) {
      const offer = encodeURIComponent(offers[0] as string)
      const body = (await (
        await fetch(`${tally.url}/api/v1/recommend?site=${SITE}&offer=${offer}&${visitor}`, { headers })
      ).json()) as { decision: string }
      decisions[body.decision] = (decisions[body.decision] ?? 0) + 1
    }
    let next = 0
    const request = (): LoadRequest => {
      const visitor = visitors[next % visitors.length]
      const choose = next % 2 === 0 ? 'best' : 'sample'
      const offer = offers[Math.floor(next / visitors.length) % offers.length]
      next++
      return {
        method: 'GET',
        path: `/api/v1/recommend?site=${SITE}&offer=${encodeURIComponent(offer as string)}&${visitor}&choose=${choose}`,
        headers,
        kind: 'recommend',
        expect: 200,
      }
    }
    const load = { url: tally.url, next: request, connections: options.connections }
    await runLoad({ ...load, label: 'warm-up', seconds: 2 })
    const result = await runLoad({
      ...load,
      label: 'recommend',
      seconds: options.seconds,
      maxSeconds: options.seconds + 30,
    })
    console.log(
      table([
        ['visitors', 'connections', 'requests/s', 'p50', 'p95', 'p99', 'max', 'statuses', 'goal p95'],
        [
          `${int(visitors.length)} (${rows.length} segments)`,
          String(options.connections),
          int(result.requestsPerSecond),
          ms(result.latency.p50),
          ms(result.latency.p95),
          ms(result.latency.p99),
          ms(result.latency.max),
          Object.entries(result.statuses)
            .map(([status, count]) => `${status}×${count}`)
            .join(' '),
          `< ${RECOMMEND_P95_GOAL_MS} ms: ${result.latency.p95 < RECOMMEND_P95_GOAL_MS ? 'met' : 'not met'}`,
        ],
      ]),
    )
    console.log(`  decisions over the visitors asked: ${JSON.stringify(decisions)}`)
    return {
      events,
      segments: rows.length,
      offers: offers.length,
      visitors: visitors.length,
      connections: options.connections,
      result,
      decisions,
    }
  } finally {
    await tally.stop()
  }
}

/** The offers of the snapshot: those of the largest segments' released variants. */
async function offerIds(
  url: string,
  headers: Record<string, string>,
  segments: Array<Record<string, string>>,
): Promise<string[]> {
  const ids = new Set<string>()
  for (const segment of segments.slice(0, 20)) {
    const answer = await fetch(
      `${url}/api/v1/offers?site=${SITE}&segment=${encodeURIComponent(segment.segment ?? '')}`,
      { headers },
    )
    for (const row of ((await answer.json()) as { rows?: Array<{ offer_id: string }> }).rows ?? [])
      ids.add(row.offer_id)
  }
  if (ids.size === 0) throw new Error('the insights job released no offer')
  return [...ids].sort()
}
