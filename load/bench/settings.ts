import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from '../lib/instance.ts'
import { num } from '../lib/report.ts'

/** The bench's flags (see load/bench.ts) and what every section shares. */

export const SECTIONS = [
  'beacon',
  'pipeline',
  'http',
  'embedded',
  'ingest',
  'read',
  'recommend',
  'publish',
  'pinned',
] as const
export type Section = (typeof SECTIONS)[number]

export const SITE = 'demo'
export const ORIGIN = 'https://shop.example'
// Everything else (FLUSH_INTERVAL_MS, WAL_FSYNC_MS) as `npm start` has it: the bench measures the defaults.
export const COLLECTOR_ENV = { SITES: `${SITE}=${ORIGIN}`, TRUST_PROXY: '1' }
export const RESULTS_DIR = join(ROOT, 'load/results')

/** Recorded as is in the results file, beside the figures they produced. */
export type Settings = {
  quick: boolean
  seconds: number
  warmupSeconds: number
  rounds: number
  connections: number
  events: number
  days: number
  readRequests: number
  /** Visits a day of the demo data section 7 records (as `npm run demo --per-day`). */
  recommendPerDay: number
  /** Days of demo data section 9 publishes (a month; a week with --quick). */
  publishDays: number
}

export type BenchOptions = {
  settings: Settings
  sections: ReadonlySet<string>
  /** A CPU profile of the collector under load, into RESULTS_DIR. */
  profile: boolean
  /** Where the processes keep their files. */
  tmp: string
  out: string
}

export function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string', default: '50' },
      events: { type: 'string' },
      'read-requests': { type: 'string' },
      'recommend-per-day': { type: 'string' },
      profile: { type: 'boolean', default: false },
      tmp: { type: 'string', default: tmpdir() },
      out: { type: 'string', default: join(RESULTS_DIR, 'latest.json') },
    },
  })

  const quick = values.quick === true
  const sections = new Set((values.only?.split(',') ?? SECTIONS).map((name) => name.trim()))
  for (const name of sections) {
    if (!SECTIONS.includes(name as Section))
      throw new Error(`--only: unknown section "${name}" (${SECTIONS.join(', ')})`)
  }

  return {
    settings: {
      quick,
      seconds: num(values.seconds, 'seconds', quick ? 5 : 15),
      warmupSeconds: quick ? 2 : 4,
      rounds: num(values.rounds, 'rounds', quick ? 1 : 3),
      connections: num(values.connections, 'connections', 50),
      events: num(values.events, 'events', quick ? 100_000 : 10_000_000),
      days: 30,
      readRequests: num(values['read-requests'], 'read-requests', quick ? 10 : 40),
      recommendPerDay: num(values['recommend-per-day'], 'recommend-per-day', quick ? 300 : 1000),
      publishDays: quick ? 7 : 30,
    },
    sections,
    profile: values.profile === true,
    tmp: values.tmp,
    out: values.out,
  }
}
