import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './clickhouse-server.ts'

/**
 * Processes the load scripts start on 127.0.0.1 and stop again: Tally itself (`server/start.js`,
 * exactly as `npm start` runs it: compiled, on plain Node) and the bare `node:http` baseline
 * (`node --import tsx`). Each runs as its own Node process, started with `node` itself rather than
 * through npm or the `tsx` binary, so that the pid is the server's own and its peak RSS and CPU
 * time can be read from /proc.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** `npm start` without its `node`: the flags and script the service runs with in production. */
// `npm start` is `NAME=value ... node <flags> server/start.js`: the variables and the flags, as it has them.
const START_WORDS = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start.split(/\s+/)
const START_ENV: Record<string, string> = Object.fromEntries(
  START_WORDS.slice(0, START_WORDS.indexOf('node')).map((word) => word.split('=', 2) as [string, string]),
)
const START_ARGS: string[] = START_WORDS.slice(START_WORDS.indexOf('node') + 1)

export type Child = {
  readonly url: string
  readonly pid: number
  /** Where the process's stdout and stderr go. */
  readonly logFile: string
  /**
   * Highest resident set size since the process started (VmHWM), in bytes; 0 when unknown. With
   * worker processes (`WORKERS`), the sum of every process's own peak.
   */
  peakRss(): number
  /** Current resident set size (VmRSS), in bytes, of the process and its workers. */
  rss(): number
  /** User plus system CPU time used so far by the process and its workers, in seconds. */
  cpuSeconds(): number
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). Resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

export type TallyOptions = {
  /** Embedded: the data directory (`workDir/data` when omitted). Server: the ClickHouse URL. */
  warehouse: { kind: 'embedded'; dataDir?: string } | { kind: 'server'; url: string; database?: string }
  env?: Record<string, string>
  /** Folder for the log file and, when no dataDir is given, the data. */
  workDir?: string
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[]
  /** `WORKERS`: ready once every worker answers. */
  workers?: number
}

export type Tally = Child & {
  /** DATA_DIR: the embedded warehouse (embedded mode) and the collector's local files. */
  readonly dataDir: string
  readonly workDir: string
  /** `GET /metrics`: each series by its full name with labels, and each metric's sum over its labels. */
  metrics(): Promise<Map<string, number>>
}

const TSX_ENTRY = ['--import', 'tsx']

// Environment a developer may have exported for their own instance; never inherited.
const OWN_VARIABLES = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'CLICKHOUSE_URL',
  'CLICKHOUSE_USER',
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_DATABASE',
  'SITES',
  'QUERY_PARAMS',
  'FLUSH_INTERVAL_MS',
  'TRUST_PROXY',
  'LOG_LEVEL',
  'DASHBOARD_TOKEN',
  'API_TOKEN',
  'ADMIN_TOKEN',
  'RATE_LIMIT',
  'WAL_FSYNC_MS',
]

export async function startTally(options: TallyOptions): Promise<Tally> {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'tally-load-'))
  const port = await freePort()
  // Server mode keeps local state too (the write-ahead log): never in the checkout's ./data.
  const dataDir =
    (options.warehouse.kind === 'embedded' && options.warehouse.dataDir) || join(workDir, 'data')
  const warehouseEnv: Record<string, string> =
    options.warehouse.kind === 'embedded'
      ? { DATA_DIR: dataDir }
      : {
          DATA_DIR: dataDir,
          CLICKHOUSE_URL: options.warehouse.url,
          CLICKHOUSE_DATABASE: options.warehouse.database ?? 'tally',
        }
  const adminToken = randomToken()
  const env = {
    ...inheritedEnv(),
    ...START_ENV,
    ADMIN_TOKEN: adminToken,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Load comes from one client address; a rate limiter, should one be configured, must not judge it.
    RATE_LIMIT: '0',
    ...warehouseEnv,
    ...(options.workers ? { WORKERS: String(options.workers) } : {}),
    ...options.env,
  }
  const child = await startChild(
    [...(options.nodeArgs ?? []), ...START_ARGS],
    env,
    `http://127.0.0.1:${port}`,
    '/healthz',
    workDir,
  )
  const metrics = async () => {
    const response = await fetch(`${child.url}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
    if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`)
    return parseMetrics(await response.text())
  }
  const last = options.workers ?? 1
  if (last > 1) {
    const deadline = Date.now() + 60_000
    while (!(await metrics()).has(`tally_buffered_events{worker="${last}"}`)) {
      if (Date.now() > deadline)
        throw new Error(`worker ${last} did not start in 60 s:\n${tail(child.logFile)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return Object.assign(child, { dataDir, workDir, metrics })
}

export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    const series = line.slice(0, space)
    const value = Number(line.slice(space + 1))
    if (!Number.isFinite(value)) continue
    values.set(series, value)
    const name = series.split('{')[0] ?? series
    if (name !== series) values.set(name, (values.get(name) ?? 0) + value)
  }
  return values
}

/** The baseline: a `node:http` server that reads each body and answers 204, nothing else. */
export async function startBareServer(workDir: string): Promise<Child> {
  const port = await freePort()
  return startChild(
    ['load/bare-server.ts', String(port)],
    { ...inheritedEnv() },
    `http://127.0.0.1:${port}`,
    '/',
    workDir,
  )
}

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !OWN_VARIABLES.includes(name)) env[name] = value
  }
  return env
}

async function startChild(
  args: string[],
  env: Record<string, string>,
  url: string,
  readyPath: string,
  workDir: string,
): Promise<Child> {
  const script = args.find((arg) => /\.[jt]s$/.test(arg)) ?? 'node'
  const logFile = join(workDir, `${script.replace(/\W+/g, '_')}-${Date.now()}.log`)
  const log = openSync(logFile, 'w')
  const loader = script.endsWith('.ts') ? TSX_ENTRY : []
  const child = spawn(process.execPath, [...loader, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await waitReady(child, `${url}${readyPath}`, logFile)
  const pid = child.pid ?? 0
  return {
    url,
    pid,
    logFile,
    peakRss: () => sum(processTree(pid), (each) => procStatus(each, 'VmHWM')),
    rss: () => sum(processTree(pid), (each) => procStatus(each, 'VmRSS')),
    cpuSeconds: () => sum(processTree(pid), procCpuSeconds),
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

async function waitReady(child: ChildProcess, url: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${url} exited with ${child.exitCode} before it was ready:\n${tail(logFile)}`)
    }
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status < 500) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`${url} was not ready within 90 s:\n${tail(logFile)}`)
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

// Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const TICKS_PER_SECOND = 100

/** User plus system CPU time a process has used, in seconds; 0 when it is gone. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** A process and its descendants (a collector's workers), by parent pid from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(parent, [...(children.get(parent) ?? []), Number(name)])
    } catch {
      // ended while listed
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []))
  return tree
}

const sum = (pids: number[], of: (pid: number) => number): number =>
  pids.reduce((total, pid) => total + of(pid), 0)

/** Removes a temp folder the scripts created. */
export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true })
}

/** A random bearer token for the instance the scripts start (never printed). */
export const randomToken = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(24)), (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  )
