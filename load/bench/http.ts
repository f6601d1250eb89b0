import { mkdtempSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseServer, startClickHouseServer } from '../lib/clickhouse-server.ts'
import { type Child, startBareServer, startTally, type Tally, tail } from '../lib/instance.ts'
import { mb, ms } from '../lib/report.ts'
import { best, type Measure, printRuns } from './measure.ts'
import type { HttpRun, HttpSection } from './results.ts'
import { COLLECTOR_ENV, RESULTS_DIR, type Settings } from './settings.ts'

/**
 * Section 1: the collector over HTTP against a bare node:http server, in alternating rounds so
 * that a change in the machine's load hits both alike.
 */
export async function httpSection(options: {
  settings: Settings
  measure: Measure
  workDir: string
  profile: boolean
}): Promise<HttpSection> {
  const { settings, measure, workDir } = options
  let clickhouse: ClickHouseServer | null = null
  let collector: Tally | undefined
  let workers: Tally | undefined
  let bare: Child | undefined
  // One process per core, as WORKERS=auto starts it.
  const workerCount = availableParallelism()
  try {
    clickhouse = await startClickHouseServer()
    const warehouse = clickhouse
      ? `clickhouse-server ${await serverVersion(clickhouse.url)} (server mode)`
      : 'embedded chDB (clickhouse-server is not installed)'
    console.log(`  collector warehouse: ${warehouse}`)
    collector = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: COLLECTOR_ENV,
      workDir,
      ...(options.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`] } : {}),
    })
    if (clickhouse && workerCount > 1)
      workers = await startTally({
        warehouse: { kind: 'server', url: clickhouse.url },
        env: COLLECTOR_ENV,
        workDir: mkdtempSync(join(workDir, 'workers-')),
        workers: workerCount,
      })
    bare = await startBareServer(workDir)
    const baselineRuns: HttpRun[] = []
    const collectorRuns: HttpRun[] = []
    const workerRuns: HttpRun[] = []
    const printed: Array<[string, HttpRun]> = []
    for (let round = 1; round <= settings.rounds; round++) {
      const baseline = await measure(`baseline, round ${round}`, bare, 204)
      baselineRuns.push(baseline)
      printed.push([`bare node:http, round ${round}`, baseline])
      const full = await measure(`collector, round ${round}`, collector, 202, clickhouse?.pid())
      collectorRuns.push(full)
      printed.push([`collector, round ${round}`, full])
      if (workers) {
        const label = `collector WORKERS=${workerCount}, round ${round}`
        const run = await measure(label, workers, 202, clickhouse?.pid())
        workerRuns.push(run)
        printed.push([label, run])
      }
    }
    const peakRssBytes = collector.peakRss()
    const exitCode = await collector.stop()
    const workersPeakRss = workers?.peakRss() ?? 0
    const workersExit = await workers?.stop()
    // The same, with a 202 that waits for the disk: what power-loss durability costs here.
    const durable = await startTally({
      warehouse: clickhouse ? { kind: 'server', url: clickhouse.url } : { kind: 'embedded' },
      env: { ...COLLECTOR_ENV, WAL_FSYNC_MS: '0' },
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
    if (workers) {
      const bestRun = best(workerRuns)
      section.workers = {
        count: workerCount,
        runs: workerRuns,
        best: bestRun,
        peakRssBytes: workersPeakRss,
        exitCode: workersExit ?? null,
        ratio: bestRun.eventsPerSecond / section.baseline.best.eventsPerSecond,
      }
    }
    section.fsyncEachCommit = {
      run: fsyncRun,
      ratio: fsyncRun.eventsPerSecond / section.baseline.best.eventsPerSecond,
    }
    printRuns(printed)
    console.log(
      `  ratio collector / bare: ${section.ratio.toFixed(2)} (goal ≥ 0.6); collector p99 ${ms(section.collector.best.result.latency.p99)} at ${settings.connections} connections; peak RSS ${mb(peakRssBytes)} (goal < 150 MB)`,
    )
    if (section.workers)
      console.log(
        `  with WORKERS=${workerCount}: ratio ${section.workers.ratio.toFixed(2)}, p99 ${ms(section.workers.best.result.latency.p99)}, peak RSS ${mb(workersPeakRss)} (the sum of the ${workerCount + 1} processes' peaks)`,
      )
    console.log(
      `  with WAL_FSYNC_MS=0 (an fsync before every 202): ratio ${section.fsyncEachCommit.ratio.toFixed(2)}, p99 ${ms(fsyncRun.result.latency.p99)}`,
    )
    if (exitCode !== 0) console.log(`  the collector exited with ${exitCode}:\n${tail(collector.logFile)}`)
    if (workers && workersExit !== 0)
      console.log(`  the collector with workers exited with ${workersExit}:\n${tail(workers.logFile)}`)
    return section
  } finally {
    await collector?.stop()
    await workers?.stop()
    await bare?.stop()
    await clickhouse?.dispose()
  }
}

async function serverVersion(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/?query=${encodeURIComponent('SELECT version()')}`)
    return (await response.text()).trim()
  } catch {
    return 'unknown version'
  }
}
