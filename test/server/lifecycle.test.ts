import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import { openWarehouse } from '../../warehouse/client.ts'
import { postEvents } from '../support/http.ts'

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

describe('the service process', () => {
  it('starts as npm start runs it (compiled, on plain Node) on embedded ClickHouse, and on SIGTERM flushes what it accepted and exits 0', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const child = spawn(process.execPath, ['server/start.js'], {
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
    // The compiler that bundled the service, the beacon and the dashboard is not kept running.
    const pid = child.pid as number
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()).toBe('')

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
})
