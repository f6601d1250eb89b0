import type { IngestFigures } from '../ingest-demo.ts'
import type { LoadResult } from '../lib/http-load.ts'
import type { PipelineBench } from '../lib/pipeline-bench.ts'
import type { EndpointTiming } from '../lib/read-api.ts'
import type { Machine } from '../lib/report.ts'
import type { Settings } from './settings.ts'

/** The shape of `load/results/latest.json`: one key per section that ran. */

export type HttpRun = {
  result: LoadResult
  /** 202 answers per second (events accepted); for the baseline, 204 answers per second. */
  eventsPerSecond: number
  /** Server process CPU time (user + system) per answered request. */
  cpuMicrosPerRequest: number
  /**
   * Server process CPU time over the run's wall time: 1.0 is one core's worth. The service runs its
   * JavaScript on one thread, so near 1.0 that thread is what limits it.
   */
  serverCores: number
  /** The load generator's (this process's) CPU time per request: it shares the machine. */
  clientCpuMicrosPerRequest: number
  /** The clickhouse-server process's CPU time per request, in server mode. */
  warehouseCpuMicrosPerRequest?: number
  /** The collector's write-ahead log during the run, when its metrics exist. */
  wal?: { commits: number; appendsPerCommit: number; msPerCommit: number }
}

export type HttpSection = {
  warehouse: string
  connections: number
  seconds: number
  baseline: { runs: HttpRun[]; best: HttpRun }
  collector: { runs: HttpRun[]; best: HttpRun; peakRssBytes: number; exitCode: number | null }
  ratio: number
  /**
   * The collector as one process per core (`WORKERS`, server mode only), measured in the same
   * rounds; CPU and peak RSS are summed over its processes.
   */
  workers?: {
    count: number
    runs: HttpRun[]
    best: HttpRun
    peakRssBytes: number
    exitCode: number | null
    ratio: number
  }
  /** The collector with WAL_FSYNC_MS=0 (every 202 waits for an fsync), one run after the rounds. */
  fsyncEachCommit?: { run: HttpRun; ratio: number }
}

export type BeaconSection = {
  bytes: number
  gzipBytes: number
  /** The GA4 bridge, which only pages with `data-ecommerce="ga4"` download. */
  ga4?: { bytes: number; gzipBytes: number }
}

export type EmbeddedSection = { run: HttpRun; peakRssBytes: number; exitCode: number | null }

/** One mode of the pinned section: bare node:http and Tally in alternating rounds on the same core. */
export type PinnedMode = {
  bare: { runs: HttpRun[]; median: HttpRun }
  tally: { runs: HttpRun[]; median: HttpRun }
  /** Tally's median round over bare's median round. */
  ratio: number
  /**
   * Bare's median CPU time per request over Tally's: the ratio the core would give were nothing
   * else running on it; steadier than `ratio` on a machine that other processes share.
   */
  cpuRatio: number
  roundRatios: number[]
  peakRssBytes: number
  exitCode: number | null
  /**
   * Pageviews answered 202 as the load generator saw them (warm-ups included), the most that were
   * in flight when runs stopped, what the collector counted as accepted, and what the warehouse holds.
   */
  exact: {
    answered: number
    inFlight: number
    counted: number
    /** 202s whose event was dropped past its visitor-day's contribution bound. */
    bounded: number
    stored: number
    ok: boolean
  }
  /** The 1-minute load average at the start of each round. */
  loadAverages: number[]
}

export type PinnedSection =
  | {
      cores: string
      connections: number
      seconds: number
      rounds: number
      server?: PinnedMode
      serverSkipped?: string
      embedded?: PinnedMode
    }
  | { skipped: string }

export type ReadSection =
  | { events: number; from: string; to: string; endpoints: EndpointTiming[] }
  | { skipped: string }

/** Section 7 (load/bench/recommend.ts). */
/** Section 7's measurements in one placement of the processes. */
export type RecommendRuns = {
  /** As fast as answered. */
  result: LoadResult
  /** The same clients at PACED_RATE requests a second. */
  paced: LoadResult
  /** The service process's CPU time (user + system) per answer during `result`. */
  cpuMicrosPerRequest: number
  /** The load generator's (the bench process's) CPU time per answer during `result`. */
  loadGeneratorMicrosPerRequest: number
}

/** Section 7's baseline: bare node:http under the same requests and load generator. */
export type BareRun = Omit<RecommendRuns, 'paced'>

export type RecommendSection =
  | (RecommendRuns & {
      events: number
      segments: number
      offers: number
      visitors: number
      connections: number
      /** The same with the service on one core and the load generator on the other (taskset). */
      pinned: RecommendRuns | { skipped: string }
      bare: BareRun
      /** Share of answers per decision over the visitors asked, once each. */
      decisions: Record<string, number>
    })
  | { skipped: string }

/** Section 9 (load/bench/publish.ts): one publication of every period of the demo data. */
export type PublishSection = {
  events: number
  /** Closed days of data published. */
  days: number
  perDay: number
  /** Periods published per grain (day, hour, week, month). */
  periods: Record<string, number>
  ms: number
  msPerDay: number
}

export type Results = {
  machine: Machine
  settings: Settings
  beacon?: BeaconSection
  pipeline?: PipelineBench
  http?: HttpSection
  embedded?: EmbeddedSection
  ingest?: IngestFigures
  read?: ReadSection
  recommend?: RecommendSection
  publish?: PublishSection
  pinned?: PinnedSection
  /** The 1-minute load average when each section started: above the core count, other processes took CPU. */
  loadAverage: Record<string, number>
  errors: Record<string, string>
}
