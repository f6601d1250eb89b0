import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import { parseMetrics } from './metrics.ts'

/**
 * The service as a real process, as `npm start` runs it: `node --import tsx server/main.ts` by
 * default, or the compiled `server/start.js`. The in-process service over a test's own warehouse
 * is `startService` in service.ts; everything that needs a process (signals, crashes, workers,
 * several instances) starts it here.
 */

export type ServiceProcess = {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  metrics(): Promise<Record<string, number>>
  health(): Promise<{ status: number; body: HealthBody }>
}

export type HealthBody = {
  status: string
  warehouse?: { kind: string; reachable: boolean; reason?: string }
  checks: Array<{ name: string; status: string; detail: Record<string, unknown> }>
}

// A test that fails half way must not leave its service running.
const children = new Set<ChildProcess>()
const killAll = () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}
if (process.env.VITEST) afterAll(killAll)
process.once('exit', killAll)

/** Starts the service and waits until `/healthz` answers (a 503 counts: the service is up but degraded). */
export async function spawnService(
  env: Record<string, string>,
  options: { port?: number; entry?: 'server/main.ts' | 'server/start.js' } = {},
): Promise<ServiceProcess> {
  const listen = options.port ?? (await freePort())
  const entry = options.entry ?? 'server/main.ts'
  const args = entry === 'server/main.ts' ? ['--import', 'tsx', entry] : [entry]
  const url = `http://127.0.0.1:${listen}`
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(listen),
      HOST: '127.0.0.1',
      SITES: 'demo=http://localhost:8787',
      LOG_LEVEL: 'warn',
      RATE_LIMIT: '0',
      // Durability tests count every event one client sends: the release machinery, and with it the
      // visitor-day contribution bound, is off (tested in test/collector/contribution-bound.test.ts).
      DP_EPSILON: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const service: ServiceProcess = {
    url,
    port: listen,
    child,
    output: () => output,
    exited,
    metrics: async () => parseMetrics(await (await fetch(`${url}/metrics`)).text()),
    health: async () => {
      const response = await fetch(`${url}/healthz`)
      return { status: response.status, body: (await response.json()) as HealthBody }
    },
  }
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`service exited with ${child.exitCode ?? child.signalCode}:\n${output}`)
    }
    try {
      const response = await fetch(`${url}/healthz`)
      await response.body?.cancel()
      if (response.status < 500 || response.status === 503) return service
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error(`service did not answer in 60 s:\n${output}`)
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** SIGTERM, and the exit code and how long the process took to exit. */
export async function stopService(
  service: ServiceProcess,
): Promise<{ code: number | null | string; ms: number }> {
  if (service.child.exitCode !== null) return { code: service.child.exitCode, ms: 0 }
  const started = Date.now()
  service.child.kill('SIGTERM')
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 20_000)
  const code = await service.exited
  clearTimeout(timer)
  // A signal's name when the process died of one, so a crash on the way out shows as such.
  return {
    code: code ?? `${service.child.signalCode}\n${service.output().slice(-3000)}`,
    ms: Date.now() - started,
  }
}
