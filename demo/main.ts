import { AsyncLocalStorage } from 'node:async_hooks'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createCollector } from '../collector/collector.ts'
import { createLogger } from '../core/logger.ts'
import { resolveToken } from '../core/tokens.ts'
import { loadConfig } from '../schemas/config.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { migrate } from '../warehouse/migrate.ts'
import { liveTraffic } from './live.ts'
import { progressBar } from './progress.ts'
import { readInsights, recoverySummary } from './recovery.ts'
import { type SeedReport, seedHistory } from './seed.ts'
import { visitTruthSummary } from './visit-truth.ts'

/**
 * `npm run demo`: a living dashboard for a new user in under a minute.
 *
 *  1. History: weeks of synthetic storefront traffic go through the collector's real HTTP handler
 *     (`POST /api/event`: validation, privacy pipeline, write-ahead log, batcher) in this process,
 *     with the collector's clock set to each past hour in turn. The collector stamps events with
 *     its own clock, so an injected clock is the only honest way to record the past: nothing
 *     bypasses the pipeline and no timestamp is taken from the sender.
 *  2. `npm start` itself (server/main.ts) on the same data: salts of past days are destroyed,
 *     old visitor sketches finalized, insights computed, as on any start.
 *  3. Live traffic for the current hour through the real socket, a few visits a second, until
 *     Ctrl-C, so the dashboard keeps moving.
 *
 * It runs on the embedded warehouse in its own directory (`./data/demo` by default), which it
 * recreates on every run, so it never mixes synthetic visitors into a real store.
 */

const MARKER = '.tally-demo'

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '28' },
    'per-day': { type: 'string', default: '1000' },
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    'data-dir': { type: 'string', default: './data/demo' },
    seed: { type: 'string', default: '20261125' },
    live: { type: 'string', default: '2' },
    'seed-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  console.log(`npm run demo -- [--days 28] [--per-day 1000] [--port 8787] [--data-dir ./data/demo] [--live 2] [--seed-only]

  --days      weeks of history to record, in days (1-90)
  --per-day   visits on an average day (growing slowly over the period)
  --live      visits per second after start (0: none)
  --seed-only record the history and exit; then \`DATA_DIR=./data/demo npm start\` serves it`)
  process.exit(0)
}

const days = Math.min(90, Math.max(1, Number(args.days) || 28))
const perDay = Math.min(20_000, Math.max(10, Number(args['per-day']) || 1000))
const port = Number(args.port) || 8787
const dataDir = resolve(args['data-dir'])
const live = Math.max(0, Number(args.live) || 0)
const origin = `http://localhost:${port}`
const out = process.stdout

// Tokens: the ones exported in the environment, or generated into the data directory's token
// files exactly as `npm start` generates them, so the service started below and any later
// `DATA_DIR=./data/demo npm start` read the same ones. Only the files' paths and the tokens
// themselves are printed, at the end, for the person running the demo.
const tokenOf = (variable: string, file: string) =>
  resolveToken({ configured: process.env[variable], dataDir, file, logger: createLogger('silent') })

async function main() {
  if (await listening(port)) {
    throw new Error(
      `port ${port} is in use: stop the running Tally (the demo starts its own) or pass --port <free port>`,
    )
  }
  prepareDir(dataDir)
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    // The shop's pages are on this origin, whether the browser calls it localhost or 127.0.0.1.
    SITES: `demo=${origin},demo=http://127.0.0.1:${port}`,
    // The demo plays the reverse proxy in front of the collector: it names each synthetic
    // visitor's address and country in the headers a proxy would set.
    TRUST_PROXY: '1',
    RATE_LIMIT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DASHBOARD_TOKEN: tokenOf('DASHBOARD_TOKEN', 'dashboard-token'),
    API_TOKEN: tokenOf('API_TOKEN', 'api-token'),
  }
  const config = loadConfig({ ...env, FLUSH_INTERVAL_MS: '500' })
  const embedded = { kind: 'embedded' as const, path: dataDir, database: config.warehouse.database }

  const untilAt = new Date()
  const from = new Date(untilAt.getTime() - (days - 1) * 86_400_000)
  from.setUTCHours(0, 0, 0, 0)
  out.write(`Tally demo: ${days} days of a car-parts shop, ~${perDay.toLocaleString('en')} visits a day\n`)
  out.write(`  data: ${dataDir} (recreated on every run)\n\n`)

  // 1. History, through the collector's HTTP handler with its clock set to each past hour.
  const started = performance.now()
  const warehouse = await openWarehouse(embedded)
  await migrate(warehouse)
  // Each request runs with its own past hour as the collector's clock, so many hours can be in
  // flight at once (the write-ahead log then makes them durable together).
  const clock = new AsyncLocalStorage<Date>()
  const collector = createCollector({
    config,
    warehouse,
    logger: createLogger('warn'),
    now: () => clock.getStore() ?? new Date(),
  })
  const bar = progressBar(out, 'Recording history')
  let report: SeedReport
  try {
    report = await seedHistory({
      post: (headers, body, at) =>
        clock.run(at, () =>
          Promise.resolve(collector.ingest.request('/api/event', { method: 'POST', headers, body })),
        ),
      site: 'demo',
      origin,
      from,
      until: untilAt,
      perDay,
      seed: Number(args.seed) || 1,
      onProgress: (progress) =>
        bar.update(
          progress.share,
          `${progress.at.toISOString().slice(0, 10)}  ${progress.visits.toLocaleString('en')} visits  ${progress.events.toLocaleString('en')} events`,
        ),
    })
    bar.update(1, 'writing the last batches to the warehouse')
    await collector.batcher.flush()
  } finally {
    await collector.close()
    await warehouse.close()
  }
  bar.done(
    `${report.visits.toLocaleString('en')} visits, ${report.events.toLocaleString('en')} events (${report.optedOut} opted out) in ${seconds(performance.now() - started)}`,
  )
  if (args['seed-only']) {
    out.write(`\nRecorded. Serve it with:\n  DATA_DIR=${dataDir} SITES=${env.SITES} npm start\n`)
    return
  }

  // 2. The real server, started as `npm start` starts it, on the same data.
  Object.assign(process.env, env)
  delete process.env.CLICKHOUSE_URL
  out.write('\nStarting Tally (salts of past days destroyed, sketches finalized, insights computed)…\n')
  await import('../server/main.ts')
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true,
    60_000,
  )
  const insights = await waitFor(
    () => readInsights(`http://127.0.0.1:${port}`, 'demo', env.API_TOKEN),
    90_000,
  )
  out.write(`Ready in ${seconds(performance.now() - started)} from the start of the demo.\n\n`)
  if (insights) out.write(`${recoverySummary(insights, report)}\n\n`)
  const range = { from: from.toISOString().slice(0, 10), to: untilAt.toISOString().slice(0, 10) }
  out.write(`${await visitTruthSummary(`http://127.0.0.1:${port}`, env.DASHBOARD_TOKEN, range, report)}\n\n`)
  out.write(`${tokenSummary(env)}\n\n`)

  // 3. Live traffic until Ctrl-C.
  if (live > 0) {
    out.write(
      `Sending ~${live} visits a second of live traffic to ${origin}/api/event (Ctrl-C stops everything).\n`,
    )
    liveTraffic({
      url: `http://127.0.0.1:${port}`,
      origin,
      site: 'demo',
      perSecond: live,
      seed: Number(args.seed) + 1,
    })
  }
}

/** Where to go and with which token, as the demo prints it once the service is up. */
function tokenSummary(env: { DASHBOARD_TOKEN: string; API_TOKEN: string }): string {
  const file = (name: string, variable: string) =>
    process.env[variable] ? `from ${variable}` : `also in ${resolve(dataDir, name)}`
  return [
    `  Dashboard:  ${origin}/`,
    `  Token:      ${env.DASHBOARD_TOKEN}  (${file('dashboard-token', 'DASHBOARD_TOKEN')})`,
    `  Demo shop:  ${origin}/demo-shop`,
    `  API token:  ${env.API_TOKEN}  (${file('api-token', 'API_TOKEN')})`,
    `  Recommend:  curl -H "Authorization: Bearer ${process.env.API_TOKEN ? '$API_TOKEN' : `$(cat ${resolve(dataDir, 'api-token')})`}" \\`,
    `                '${origin}/api/v1/recommend?site=demo&device=mobile&country=DE&source=social'`,
  ].join('\n')
}

function prepareDir(dir: string) {
  if (existsSync(dir)) {
    const entries = readdirSync(dir)
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(
        `${dir} is not empty and was not made by the demo: pass --data-dir with a new directory`,
      )
    }
    rmSync(dir, { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(resolve(dir, MARKER), 'Synthetic data of `npm run demo`; recreated on every run.\n')
}

function listening(at: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port: at })
    socket.once('connect', () => {
      socket.destroy()
      done(true)
    })
    socket.once('error', () => done(false))
  })
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined)
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return undefined
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

main().catch((error: unknown) => {
  console.error(`\ntally demo: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
