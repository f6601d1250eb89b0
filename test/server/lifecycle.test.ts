import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import { openWarehouse } from '../../warehouse/client.ts'
import { postEvents } from '../support/http.ts'
import { spawnService, stopService } from '../support/process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'tally-lifecycle-'))
const children: ChildProcess[] = []
afterAll(() => {
  // A failed assertion must not leave the service running.
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

async function waitForHealth(url: string, child: ChildProcess): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`)
    try {
      const response = await fetch(`${url}/healthz`)
      if (response.ok) return (await response.json()) as Record<string, unknown>
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('service did not become healthy in 30 s')
}

const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)

/** The one process npm started for a script: node, not a shell (`/proc/<pid>/exe` is its binary). */
function serviceOf(npm: number): number {
  const [pid, ...more] = childrenOf(npm)
  expect(more).toEqual([])
  expect(basename(readlinkSync(`/proc/${pid}/exe`))).toBe('node')
  return pid as number
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the service process', () => {
  it('starts with npm start (compiled, on plain Node) on embedded ClickHouse, and on SIGTERM to npm flushes what it accepted and exits 0', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    // Supervisors and containers signal the process they started: here, npm itself.
    const child = spawn('npm', ['start'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SITES: `demo=${url}`,
        // Only the shutdown flush can write these events.
        FLUSH_INTERVAL_MS: '60000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })

    const health = await waitForHealth(url, child)
    expect(health).toMatchObject({ status: 'ok', warehouse: { kind: 'embedded', reachable: true } })
    expect((health.migrations as { current: number }).current).toBeGreaterThan(0)
    // What the modules read beside their sources is found from the compiled file too.
    const beacon = await fetch(`${url}/beacon.js`)
    expect(beacon.status).toBe(200)
    expect(await beacon.text()).toContain('sendBeacon')
    expect((await fetch(`${url}/demo-shop`)).status).toBe(200)
    const login = await fetch(`${url}/login`)
    const styles = /<link rel="stylesheet" href="([^"]+)"/.exec(await login.text())?.[1]
    expect(styles).toMatch(/^\/ui\//)
    const sheet = await fetch(`${url}${styles}`)
    expect(sheet.status).toBe(200)
    expect((await sheet.text()).length).toBeGreaterThan(1000)
    // npm runs node itself, with no shell in between that would take the signal and die alone,
    // and with the memory settings the script names.
    const pid = serviceOf(child.pid as number)
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining(['--max-semi-space-size=8', '--heap-growing-percent=50', 'server/start.js']),
    )
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2')
    // The compiler that bundled the service, the beacon and the dashboard is not kept running.
    expect(childrenOf(pid)).toEqual([])

    const events = ['/a', '/b', '/c'].map((path) => ({
      type: 'pageview',
      site: 'demo',
      url: `${url}${path}`,
    }))
    const accepted = await postEvents(url, { events })
    expect(accepted.status).toBe(202)

    const started = Date.now()
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit, output).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(isRunning(pid)).toBe(false)

    const warehouse = await openWarehouse({ kind: 'embedded', path: dataDir, database: 'tally' })
    try {
      const result = await warehouse.client.query({
        query: "SELECT sumMerge(pageviews) AS pageviews FROM pages_daily WHERE site = 'demo'",
        format: 'JSONEachRow',
      })
      expect(await result.json()).toEqual([{ pageviews: 3 }])
    } finally {
      await warehouse.close()
    }
  })

  it('exits 0 on SIGTERM as soon as it answers, its start-up jobs still running, start after start', async () => {
    // The embedded warehouse must not be closed, nor the process left, with a query or an insert of
    // the start-up still running in it: chDB then ends the process by a signal.
    const dir = join(dataDir, 'early-sigterm')
    let jobsAfterSignal = 0
    for (let start = 1; start <= 3; start++) {
      const service = await spawnService({
        DATA_DIR: dir,
        SITES: 'demo=http://localhost:8787',
        LOG_LEVEL: 'info',
      })
      const { code, ms } = await stopService(service)
      const output = service.output()
      expect(code, output).toBe(0)
      expect(ms).toBeLessThan(10_000)
      expect(output).toContain('"msg":"stopped"')
      const after = output.slice(output.indexOf('"msg":"shutting down"'))
      if (/"msg":"job (done|cut short by the shutdown)"/.test(after)) jobsAfterSignal++
    }
    // The start-up jobs take about a second: the signal came while they ran.
    expect(jobsAfterSignal).toBeGreaterThan(0)
  })

  it('stops with npm run demo on SIGTERM or SIGINT to npm, leaving no process behind', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const port = await freePort()
      const demoDir = join(dataDir, `demo-${signal}`)
      const child = spawn(
        'npm',
        [
          'run',
          'demo',
          '--',
          '--days',
          '1',
          '--per-day',
          '10',
          '--live',
          '1',
          '--port',
          String(port),
          '--data-dir',
          demoDir,
        ],
        { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      children.push(child)
      let output = ''
      child.stdout?.on('data', (chunk) => {
        output += chunk
      })
      child.stderr?.on('data', (chunk) => {
        output += chunk
      })
      await waitForHealth(`http://127.0.0.1:${port}`, child)
      const pid = serviceOf(child.pid as number)
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.kill(signal)
      expect(await exit, output).toBe(0)
      expect(isRunning(pid)).toBe(false)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status).toBeUndefined()
    }
  })
})
