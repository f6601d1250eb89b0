import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beaconSection } from './bench/beacon.ts'
import { embeddedSection } from './bench/embedded.ts'
import { httpSection } from './bench/http.ts'
import { ingestSection } from './bench/ingest.ts'
import { measurer } from './bench/measure.ts'
import { pinnedSection } from './bench/pinned.ts'
import { pipelineSection } from './bench/pipeline.ts'
import { publishSection } from './bench/publish.ts'
import { readSection } from './bench/read.ts'
import { recommendSection } from './bench/recommend.ts'
import type { Results } from './bench/results.ts'
import { sectionRunner } from './bench/section.ts'
import { RESULTS_DIR, readOptions } from './bench/settings.ts'
import { summaryRows } from './bench/summary.ts'
import { removeDir } from './lib/instance.ts'
import { heading, int, machine, table } from './lib/report.ts'

/**
 * `npm run bench`: the collector against the machine's limit, in one run on one machine.
 *
 *   1. the collector over HTTP (full pipeline, write buffer, warehouse) against a bare node:http
 *      server that reads the body and answers 204: same client, same connections, same requests;
 *   2. the privacy pipeline alone, µs per event;
 *   3. embedded warehouse ingestion into the rollups, rows/s: the collector's own batches, and the
 *      bulk load that fills the warehouse with the demo data for 4 (load/ingest-demo.ts);
 *   4. read API latency over 30 days of demo data (10 million events; 100,000 with --quick);
 *   5. peak RSS of the collector process, server mode and embedded mode;
 *   6. the beacon's size;
 *   7. GET /api/v1/recommend at --connections clients over `npm run demo`'s data (28 days);
 *   8. one core against one core: bare node:http and the collector each pinned to the same core,
 *      the load generator (and clickhouse-server) on another, server mode and embedded mode;
 *   9. the cost of publishing released figures: ms per day of data, over a month of demo data
 *      (every grain: days, hours, ISO weeks, months).
 *
 * Flags: --quick (short runs, small data set), --only http,embedded,pipeline,ingest,read,beacon,recommend,publish,pinned,
 * --seconds S (each HTTP measurement), --rounds R (alternating baseline/collector rounds; the best
 * of each counts), --connections C, --events N (demo events for 3 and 4), --read-requests R, --recommend-per-day N
 * (visits a day of section 7's demo data, 1,000 like `npm run demo`),
 * --profile (CPU profile of the collector under load, into load/results/), --out FILE, --tmp DIR
 * (where the processes keep their files: the data directories and the collector's write-ahead log;
 * `--tmp /dev/shm` takes the disk out of the figures).
 *
 * Everything runs on 127.0.0.1 and stops by itself; the collector and the baseline each run in
 * their own process so that the load generator does not share their event loop.
 *
 * Each section is a file of load/bench/; this one runs them in order and writes the results.
 */

const options = readOptions()
const { settings } = options
const workDir = mkdtempSync(join(options.tmp, 'tally-bench-'))
const results: Results = { machine: machine(), settings, loadAverage: {}, errors: {} }
const section = sectionRunner(results, options.sections)
const measure = measurer(settings)

console.log(
  `tally bench, ${results.machine.date}: ${results.machine.cores} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; load average ${results.machine.loadAverage.join(' ')}`,
)
console.log(
  `settings: ${settings.quick ? 'quick, ' : ''}${settings.seconds} s per HTTP measurement × ${settings.rounds} round(s), ${settings.connections} connections, ${int(settings.events)} demo events over ${settings.days} days`,
)

await section('beacon', '6. beacon size', () => beaconSection())
await section('pipeline', '2. privacy pipeline without HTTP (µs per event, fastest of rounds)', () =>
  pipelineSection(settings.quick),
)
await section('http', '1. collector over HTTP vs bare node:http (same client, same requests)', () =>
  httpSection({ settings, measure, workDir, profile: options.profile }),
)
await section('embedded', '5. collector in embedded mode (collector + in-process ClickHouse)', () =>
  embeddedSection({ measure, workDir }),
)
const dataDir = join(workDir, 'demo-data')
await section(
  'ingest',
  `3. embedded warehouse ingestion into the rollups (${int(settings.events)} demo events over ${settings.days} days)`,
  () => ingestSection(dataDir, settings.events, settings.days),
)
await section('read', `4. read API latency over ${settings.days} days`, () =>
  readSection({
    ingest: results.ingest,
    dataDir,
    workDir,
    days: settings.days,
    requests: settings.readRequests,
  }),
)
await section('recommend', `7. GET /api/v1/recommend, ${settings.connections} connections`, () =>
  recommendSection({
    workDir,
    days: settings.quick ? 7 : 28,
    perDay: settings.recommendPerDay,
    connections: settings.connections,
    seconds: settings.seconds,
  }),
)

await section(
  'publish',
  `9. publishing released figures (${settings.publishDays} days of demo data, ${int(settings.recommendPerDay)} visits a day)`,
  () => publishSection({ days: settings.publishDays, perDay: settings.recommendPerDay }),
)

// Last: its exactness check opens the embedded warehouse in this process.
await section(
  'pinned',
  '8. one core against one core (taskset: server on core 1, load generator on core 0)',
  () => pinnedSection({ settings, workDir }),
)

heading('summary')
console.log(table(summaryRows(results)))
mkdirSync(RESULTS_DIR, { recursive: true })
writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwritten to ${options.out}`)
removeDir(workDir)
process.exit(Object.keys(results.errors).length > 0 ? 1 : 0)
