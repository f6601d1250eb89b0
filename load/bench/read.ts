import { readFileSync } from 'node:fs'
import type { IngestFigures } from '../ingest-demo.ts'
import { randomToken, startTally, tail } from '../lib/instance.ts'
import { lastDays, probeReadApi, timeEndpoints } from '../lib/read-api.ts'
import { ms, table } from '../lib/report.ts'
import type { ReadSection } from './results.ts'
import { COLLECTOR_ENV, SITE } from './settings.ts'

// The service's jobs that run once at start (server/main.ts, aggregator/job-list.ts).
export const STARTUP_JOBS = ['rotate-salts', 'finalize-sketches', 'retention', 'insights', 'privacy-audit']

type StartupJob = { name: string; ms: number; failed: boolean }

/** Section 4: read API latency over the demo data that section 3 left in `dataDir`. */
export async function readSection(options: {
  /** Section 3's figures; without them there is nothing to read. */
  ingest: IngestFigures | undefined
  dataDir: string
  workDir: string
  days: number
  requests: number
}): Promise<ReadSection> {
  const { ingest } = options
  if (!ingest) {
    const skipped = 'no demo data: the ingest section did not run or failed'
    console.log(`  skipped: ${skipped}`)
    return { skipped }
  }
  const token = randomToken()
  const reader = await startTally({
    warehouse: { kind: 'embedded', dataDir: options.dataDir },
    // At info level the log says when each start-up job is done (see below).
    env: { ...COLLECTOR_ENV, LOG_LEVEL: 'info', DASHBOARD_TOKEN: token, API_TOKEN: randomToken() },
    workDir: options.workDir,
  })
  try {
    // The service runs its daily jobs once at start: finalize-sketches turns the sketches of every
    // day before yesterday into counts, as in any warehouse older than two days, and the queries
    // share the embedded warehouse with those jobs. Reads are timed once the jobs are done.
    const jobs = await startupJobs(reader.logFile, STARTUP_JOBS, 900_000)
    console.log(
      `  start-up jobs done before timing: ${jobs.map((job) => `${job.name} ${(job.ms / 1000).toFixed(1)} s${job.failed ? ' (failed)' : ''}`).join(', ')}`,
    )
    const target = { url: reader.url, token, site: SITE, ...lastDays(options.days) }
    const probe = await probeReadApi(target)
    if (!probe.available) {
      console.log(`  skipped: ${probe.reason}`)
      return { skipped: probe.reason }
    }
    const endpoints = await timeEndpoints(target, { requests: options.requests, warmup: 3 })
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
    return { events: ingest.events, from: target.from, to: target.to, endpoints }
  } finally {
    await reader.stop()
  }
}

/** Waits until the service's log says each start-up job is done or failed. */
export async function startupJobs(
  logFile: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<StartupJob[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = new Map<string, StartupJob>()
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
    if (names.every((name) => found.has(name))) return names.map((name) => found.get(name) as StartupJob)
    if (Date.now() > deadline)
      throw new Error(`start-up jobs not done after ${timeoutMs / 1000} s: ${tail(logFile)}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}
