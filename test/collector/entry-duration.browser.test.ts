import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { expectValid, launchVisitorBrowser, openVisitor, type Visitor } from '../support/browser.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/**
 * Visit duration per entry page (docs/engagement.md), from a visitor-like Chromium through the real
 * beacon, collector (over a socket) and chDB rollups: each engagement report carries the URL its
 * visit began on, the collector scrubs it as any page path, and `entry_engaged_daily` sums the
 * visit's engaged time on that page. Pages under /t/ are served by the test on the service's
 * origin; visibility follows a flag the test sets (headless Chromium cannot hide a page), as in
 * engagement.browser.test.ts.
 */

let browser: Browser
let userAgent: string
let service: TestService
let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let origin: string
const DAY = new Date('2026-12-07T10:00:00Z')

const VISIBILITY = `
  window.__hidden = false
  Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__hidden, configurable: true })
  Object.defineProperty(Document.prototype, 'visibilityState', {
    get: () => (window.__hidden ? 'hidden' : 'visible'),
    configurable: true,
  })
  Document.prototype.hasFocus = () => !window.__hidden
`

// Every page links to /t/b; /t/b links nowhere.
const page = (body: string) => `<!doctype html><html><head><meta charset="utf-8">
<script defer src="/beacon.js" data-site="demo"></script>
</head><body style="margin:0"><p style="height:300px">${body}</p><a id="next" href="/t/b">next</a></body></html>`

async function visitor(): Promise<Visitor> {
  const visit = await openVisitor(browser, userAgent, VISIBILITY)
  await serve(visit.context)
  // The page's clock, stopped: time moves only when the test moves it.
  await visit.context.clock.install({ time: DAY })
  await visit.context.clock.pauseAt(new Date(DAY.getTime() + 1_000))
  return visit
}

async function serve(context: BrowserContext) {
  await context.route(
    (url) => url.pathname.startsWith('/t/'),
    (route) =>
      route.fulfill({ contentType: 'text/html', body: page(new URL(route.request().url()).pathname) }),
  )
}

async function hide(visit: Visitor) {
  await visit.page.evaluate(() => {
    ;(window as unknown as { __hidden: boolean }).__hidden = true
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
  })
}

/**
 * A visit that lands on `landing`, stays visible `firstMs`, follows the page's link and reads the
 * next page `secondMs`, then hides the tab: returned once its engagement reports were accepted.
 */
async function twoPageVisit(landing: string, firstMs: number, secondMs: number): Promise<Visitor> {
  const visit = await visitor()
  await visit.page.goto(`${origin}${landing}`)
  await visit.until(1)
  await visit.context.clock.fastForward(firstMs)
  await visit.page.click('#next')
  await visit.until(2)
  await visit.context.clock.fastForward(secondMs)
  await hide(visit)
  await expect.poll(() => visit.engagements().length).toBeGreaterThan(0)
  await visit.accepted()
  return visit
}

const query = async <T>(sql: string): Promise<T[]> =>
  (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()

/** Engaged ms per path of a rollup, once the collector has written what it took. */
const engagedBy = (table: 'entry_engaged_daily' | 'engagement_daily') => async () => {
  await service.flush()
  const rows = await query<{ path: string; ms: string }>(
    `SELECT path, sumMerge(engaged_ms) AS ms FROM ${table} WHERE site = 'demo' GROUP BY path ORDER BY path`,
  )
  return rows.map((row) => [row.path, Number(row.ms)])
}

beforeAll(async () => {
  const opened = await openTempEmbedded()
  warehouse = opened.warehouse
  disposeWarehouse = opened.dispose
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  service = await startService(warehouse, { SITES: `demo=${origin}` }, { port, now: () => DAY })
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterAll(async () => {
  await browser?.close()
  await service?.close()
  await disposeWarehouse?.()
})

describe('visit duration per entry page in a real browser', () => {
  it('attributes the time of every page of a visit to the page the visit began on', async () => {
    // Lands on /t/a, stays visible 5 s, goes on to /t/b and reads it 7 s, then hides the tab.
    const visit = await twoPageVisit('/t/a', 5_000, 7_000)
    // The report of /t/b names its visit's entry page, the landing URL: no id of the visit.
    const last = visit.engagements().at(-1)
    expect(last).toMatchObject({ url: `${origin}/t/b`, ms: 7_000, entry: `${origin}/t/a` })
    expect(Object.keys(last ?? {}).join(' ')).not.toMatch(/id\b|session|visit_id|visitor/)
    expectValid([...visit.events(), ...visit.engagements()])
    // Pageviews carry no entry page: only engagement reports do.
    for (const event of visit.events()) expect(event).not.toHaveProperty('entry')
    await visit.close()

    // Time on each page stays with its page; the visit's 12 s belong to /t/a, where it began.
    await expect.poll(engagedBy('engagement_daily')).toEqual([
      ['/t/a', 5_000],
      ['/t/b', 7_000],
    ])
    await expect.poll(engagedBy('entry_engaged_daily')).toEqual([['/t/a', 12_000]])
    const entries = await query<{ path: string; entries: string }>(
      `SELECT path, sumMerge(entries) AS entries FROM entry_exit_daily WHERE site = 'demo' AND path = '/t/a' GROUP BY path`,
    )
    expect(entries.map((row) => [row.path, Number(row.entries)])).toEqual([['/t/a', 1]])
  })

  it('stores the entry page scrubbed as any page path: no query string, fragment or e-mail address', async () => {
    const landing =
      '/t/account/jane.doe@example.com/orders/123456?email=jane%40example.com&token=s3cret#access_token=abc'
    const visit = await twoPageVisit(landing, 4_000, 6_000)
    // What leaves the browser is the landing URL as the page had it, as `url` and `prev` are: the
    // collector scrubs all three the same way before anything is written.
    expect(visit.engagements().at(-1)).toMatchObject({ url: `${origin}/t/b`, entry: `${origin}${landing}` })
    await visit.close()

    const scrubbed = '/t/account/:id/orders/:id'
    await expect.poll(engagedBy('entry_engaged_daily')).toEqual([
      ['/t/a', 12_000],
      [scrubbed, 10_000],
    ])
    // The same path as the landing pageview's own, in every rollup that keeps a path.
    const entries = await query<{ path: string }>(
      `SELECT path FROM entry_exit_daily WHERE site = 'demo' AND path LIKE '/t/account/%' GROUP BY path`,
    )
    expect(entries).toEqual([{ path: scrubbed }])
    // Every text the rollup keeps (its other columns are sums).
    const stored = JSON.stringify(
      await query(
        'SELECT site, toString(day) AS day, path, source, device, country FROM entry_engaged_daily',
      ),
    )
    expect(stored).toContain(scrubbed)
    for (const secret of ['jane', 'example.com', 's3cret', 'token', 'access_token', '?', '#', '123456']) {
      expect(stored).not.toContain(secret)
    }
  })
})
