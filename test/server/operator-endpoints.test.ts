import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCollector } from '../../collector/collector.ts'
import { createLogger } from '../../core/logger.ts'
import { loadConfig } from '../../schemas/config.ts'
import { createApp } from '../../server/app.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// `/metrics` and the detail of `/healthz` are for operators: the admin token, or without one a
// caller on this machine that reached the socket directly. Logs never carry what a request wrote
// at length or with control characters.
const ADMIN = 'operator-admin-token-0123456789'

type Running = { url: string; lines: string[]; close(): Promise<void> }
let warehouse: Warehouse
let dispose: () => Promise<void>
let open: Running
let guarded: Running

async function start(env: Record<string, string>): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-operator-'))
  const config = loadConfig({ LOG_LEVEL: 'info', DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '60000', ...env })
  const lines: string[] = []
  const logger = createLogger(config.logLevel, { write: (line: string) => void lines.push(line) })
  const migrations = await migrate(warehouse)
  const collector = createCollector({ config, warehouse, logger })
  const app = createApp({ logger, config, collector, health: { warehouse, migrations } })
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lines,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  open = await start({})
  guarded = await start({ ADMIN_TOKEN: ADMIN })
})
afterAll(async () => {
  await open?.close()
  await guarded?.close()
  await dispose?.()
})

const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers })
  const text = await response.text()
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> }
}
// What a request from elsewhere looks like when it reaches the socket through a proxy on this host.
const PROXIED = { 'x-forwarded-for': '203.0.113.9' }

describe('/metrics without ADMIN_TOKEN', () => {
  it('answers a direct local caller, and refuses one that came through a proxy', async () => {
    expect((await get(`${open.url}/metrics`)).status).toBe(200)
    const proxied = await get(`${open.url}/metrics`, PROXIED)
    expect(proxied.status).toBe(403)
    expect(proxied.json()).toMatchObject({ error: 'forbidden' })
    expect(proxied.text).not.toContain('tally_')
    expect((await get(`${open.url}/metrics`, { forwarded: 'for=203.0.113.9' })).status).toBe(403)
  })
})

describe('/healthz', () => {
  it('tells anyone whether the service is up, and nothing more', async () => {
    for (const [url, headers] of [
      [open.url, PROXIED],
      [guarded.url, {}],
      [guarded.url, { authorization: 'Bearer not-the-admin-token-000000' }],
    ] as const) {
      const answer = await get(`${url}/healthz`, headers)
      expect(answer.status).toBe(200)
      expect(answer.json()).toEqual({ status: 'ok' })
    }
  })

  it('shows the warehouse, migrations and checks to an operator', async () => {
    for (const [url, headers] of [
      [open.url, {}],
      [guarded.url, { authorization: `Bearer ${ADMIN}` }],
    ] as const) {
      const answer = await get(`${url}/healthz`, headers)
      expect(answer.status).toBe(200)
      expect(answer.json()).toMatchObject({ status: 'ok', warehouse: { reachable: true }, migrations: {} })
    }
  })
})

describe('request logs', () => {
  it('cap the path and escape control, line-breaking and bidi characters', async () => {
    const long = `/${'a'.repeat(16_000)}`
    await get(`${open.url}${long}`)
    await get(`${open.url}/x%0Ay%E2%80%AEgpj.exe%E2%80%A8z%09`)
    const logged = open.lines.map((line) => JSON.parse(line) as { msg: string; path?: string })
    const paths = logged.filter((entry) => entry.msg === 'request').map((entry) => entry.path ?? '')
    expect(paths.some((path) => path.startsWith('/aaaa'))).toBe(true)
    for (const path of paths) expect(path.length).toBeLessThanOrEqual(260)
    for (const line of open.lines) {
      expect(line.length).toBeLessThan(4000)
      expect(line.trimEnd()).not.toMatch(/[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u)
      expect(JSON.parse(line).path ?? '').not.toMatch(/[\n\t\u202e\u2028]/)
    }
  })
})
