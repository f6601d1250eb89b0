import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import { openWarehouse } from '../../warehouse/client.ts'
import { postEvents } from '../support/http.ts'
import { spawnService, stopService } from '../support/process.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'tally-lifecycle-'))
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the service process', () => {
  it('starts as npm start runs it (compiled, on plain Node) on embedded ClickHouse, and on SIGTERM flushes what it accepted and exits 0', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const service = await spawnService(
      {
        DATA_DIR: dataDir,
        SITES: `demo=${url}`,
        // Only the shutdown flush can write these events.
        FLUSH_INTERVAL_MS: '60000',
        LOG_LEVEL: 'warn',
      },
      { port, entry: 'server/start.js' },
    )
    await expect.poll(async () => (await service.health()).status, { timeout: 30_000 }).toBe(200)
    const health = (await service.health()).body as unknown as Record<string, unknown>
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
    const pid = service.child.pid as number
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()).toBe('')

    const events = ['/a', '/b', '/c'].map((path) => ({
      type: 'pageview',
      site: 'demo',
      url: `${url}${path}`,
    }))
    const accepted = await postEvents(url, { events })
    expect(accepted.status).toBe(202)

    const stopped = await stopService(service)
    expect(stopped.code, service.output()).toBe(0)
    expect(stopped.ms).toBeLessThan(10_000)

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
