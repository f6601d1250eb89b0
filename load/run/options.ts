import { parseArgs } from 'node:util'
import type { WarehouseConfig } from '../../schemas/config.ts'
import { randomToken } from '../lib/instance.ts'
import { num } from '../lib/report.ts'

/** `npm run load`'s flags (see load/run.ts). */
export type RunOptions = {
  /** A running instance to load instead of starting one. */
  url: string | undefined
  mode: 'embedded' | 'server'
  /** `WORKERS` for the instance it starts (server mode). */
  workers: number
  events: number
  connections: number
  rate: number | undefined
  maxSeconds: number
  // The next four are parsed where they are used: the dashboard's flags matter, and are checked,
  // only on a run with --dashboard.
  visitors: string
  seed: string
  dashboardUsers: string
  dashboardSeconds: string
  site: string
  origin: string
  dashboard: boolean
  dashboardToken: string
  adminToken: string | undefined
  clickhouseUrl: string | undefined
  clickhouseDatabase: string
  logLevel: string
  keep: boolean
}

export function readOptions(): RunOptions {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      workers: { type: 'string', default: '1' },
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
  const mode = values.mode
  if (mode !== 'embedded' && mode !== 'server') throw new Error('--mode is embedded or server')
  const workers = num(values.workers, 'workers', 1)
  if (workers !== 1 && mode !== 'server')
    throw new Error('--workers needs --mode server: the embedded warehouse lives inside one process')
  if (values.url && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(values.url)) {
    throw new Error(
      '--url must be a loopback address (http://127.0.0.1:PORT): load goes to this machine only',
    )
  }

  return {
    url: values.url,
    mode,
    workers,
    events,
    connections,
    rate,
    maxSeconds,
    visitors: values.visitors,
    seed: values.seed,
    dashboardUsers: values['dashboard-users'],
    dashboardSeconds: values['dashboard-seconds'],
    site: values.site,
    origin: values.origin.replace(/\/$/, ''),
    dashboard: values.dashboard === true,
    dashboardToken: values['dashboard-token'] ?? randomToken(),
    adminToken: values['admin-token'],
    clickhouseUrl: values['clickhouse-url'],
    clickhouseDatabase: values['clickhouse-database'],
    logLevel: values['log-level'],
    keep: values.keep === true,
  }
}

/** The warehouse of a running instance (`--url`), when --clickhouse-url names it. */
export function runningWarehouse(options: RunOptions): WarehouseConfig | undefined {
  if (!options.clickhouseUrl) return undefined
  return {
    kind: 'server',
    url: options.clickhouseUrl,
    username: process.env.CLICKHOUSE_USER ?? 'default',
    password: process.env.CLICKHOUSE_PASSWORD ?? '',
    database: options.clickhouseDatabase,
  }
}
