import { AsyncLocalStorage } from 'node:async_hooks'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { type SeedReport, seedHistory } from '../../demo/seed.ts'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { startService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

export const DASHBOARD_TOKEN = 'dashboard-ui-token-for-tests-0123456789'
export const API_TOKEN = 'dashboard-ui-api-token-for-tests-012345'
export const K = 5
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))

export type Dashboard = {
  url: string
  warehouse: Warehouse
  report: SeedReport
  /** The UTC day the seeded history ends on (today). */
  today: string
  /** GET a read-API path with a bearer token, parsed. */
  api<T = Record<string, unknown>>(path: string, token?: string): Promise<T>
  /** Sends events as one visitor at a given time, through the real collector. */
  visit(at: Date, headers: Record<string, string>, events: object[]): Promise<void>
  close(): Promise<void>
}

/**
 * The real service (collector, read API, dashboard) on a socket over a fresh embedded warehouse,
 * with `days` of the demo's synthetic shop recorded through the collector's HTTP handler (each
 * request stamped at its own past hour), then the insights job run once. A second site, `empty`,
 * has no traffic at all. With `env.DP_EPSILON` set (not `off`), the closed days and hours are
 * published with noise and the older days' sketches finalized, as the jobs do at a start.
 */
export async function startDashboard(options: {
  days: number
  perDay: number
  /** More of the service's environment (RECOMMEND_PROB_BEST, say). */
  env?: Record<string, string>
}): Promise<Dashboard> {
  const { warehouse, dispose } = await openTempEmbedded()
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-dashboard-ui-'))
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const clock = new AsyncLocalStorage<Date>()
  const service = await startService(
    warehouse,
    {
      FLUSH_INTERVAL_MS: '200',
      DATA_DIR: dataDir,
      SITES: `demo=${origin},empty=${origin}`,
      TRUST_PROXY: '1',
      RATE_LIMIT: '0',
      K_ANON: String(K),
      DASHBOARD_TOKEN,
      API_TOKEN,
      ...options.env,
    },
    { now: () => clock.getStore() ?? new Date(), port },
  )
  const { url, collector } = service

  const post = (headers: Record<string, string>, body: string, at: Date) =>
    clock.run(at, () =>
      Promise.resolve(collector.ingest.request('/api/event', { method: 'POST', headers, body })),
    )
  const until = new Date()
  const from = new Date(until.getTime() - (options.days - 1) * 86_400_000)
  from.setUTCHours(0, 0, 0, 0)
  const report = await seedHistory({
    post,
    site: 'demo',
    origin,
    from,
    until,
    perDay: options.perDay,
    seed: 7,
  })
  await collector.batcher.flush()
  if (service.config.privacy.mechanism !== 'off') {
    const now = new Date()
    await publishReleases(warehouse, now, { plan: releasePlan(MEASUREMENTS, service.config.privacy, K) })
    await finalizeSketches(warehouse, now)
  }
  await computeInsights(warehouse, new Date(), { kAnon: K, privacy: service.config.privacy })

  return {
    url,
    warehouse,
    report,
    today: until.toISOString().slice(0, 10),
    api: async <T>(path: string, token = path.startsWith('/api/v1/') ? API_TOKEN : DASHBOARD_TOKEN) => {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    },
    visit: async (at, headers, events) => {
      const response = await post(
        { 'content-type': 'application/json', origin, ...headers },
        JSON.stringify({ events }),
        at,
      )
      if (response.status !== 202)
        throw new Error(`collector answered ${response.status}: ${await response.text()}`)
      await collector.batcher.flush()
    },
    close: async () => {
      await service.close()
      await dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type Session = {
  context: BrowserContext
  page: Page
  /** Console errors and page errors, including CSP violations. */
  problems: string[]
}

/** A fresh browser profile at a given viewport, its downloads accepted. */
export async function openSession(
  browser: Browser,
  viewport = { width: 1366, height: 900 },
): Promise<Session> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-US' })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(error.message))
  return { context, page, problems }
}

export async function signIn(page: Page, url: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`)
  await page.fill('#token', DASHBOARD_TOKEN)
  await Promise.all([page.waitForURL((target) => target.pathname === '/'), page.click('button[type=submit]')])
  await ready(page)
}

/** Waits until every view of the current state has loaded. */
export async function ready(page: Page, after = 0): Promise<void> {
  await page.waitForFunction(
    (generation) => {
      const root = document.getElementById('views')
      return root?.dataset.state === 'ready' && Number(root.dataset.generation) > generation
    },
    after,
    { timeout: 15_000 },
  )
}

export const generation = (page: Page) =>
  page.evaluate(() => Number(document.getElementById('views')?.dataset.generation ?? 0))

/** Waits until a panel has drawn what its last change asked for (a tab, say). */
export async function settled(page: Page, panel: string): Promise<void> {
  await page.waitForSelector(`#panel-${panel}[aria-busy="false"]`)
}

/** Picks an option of a filter select and waits for the views it reloads. */
export async function choose(page: Page, select: string, value: string): Promise<void> {
  const before = await generation(page)
  await page.selectOption(select, value)
  await ready(page, before)
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  await page.screenshot({ path, fullPage })
  return path
}

/** A panel's table as the page shows it: header labels and, per row, each cell's raw value. */
export async function tableOf(page: Page, panel: string, within = '') {
  return page.evaluate(
    ({ panel, within }) => {
      const table = document.querySelector(`#panel-${panel} ${within} table`)
      if (!table) return null
      const keys = Array.from(
        table.querySelectorAll('thead th'),
        (th) => (th as HTMLElement).dataset.key ?? '',
      )
      const rows = Array.from(table.querySelectorAll('tbody tr'), (tr) =>
        Object.fromEntries(
          Array.from(tr.children, (cell) => [
            (cell as HTMLElement).dataset.key,
            (cell as HTMLElement).dataset.value,
          ]),
        ),
      )
      return { keys, rows }
    },
    { panel, within },
  )
}

/** RFC 4180 CSV, as the export writes it. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      row.push(cell)
      cell = ''
    } else if (char === '\n') {
      row.push(cell.replace(/\r$/, ''))
      rows.push(row)
      row = []
      cell = ''
    } else cell += char
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}
