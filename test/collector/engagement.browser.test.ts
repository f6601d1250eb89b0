import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLLUPS } from '../../aggregator/rollups.ts'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { expectValid, launchVisitorBrowser, openVisitor, type Visitor } from '../support/browser.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/**
 * Visits, bounces, engagement, links, hash routes, 404s, payment returns and new vs returning, from
 * a visitor-like Chromium through the real beacon, collector (over a socket) and chDB rollups.
 * Pages under /t/ are served to the browser by the test (same origin as the service, which serves
 * the beacon and takes its events); `localhost` stands for a payment host and `www.brembo.com` for
 * another site. Visibility is the one thing headless Chromium cannot change, so a page's
 * `document.hidden`, `visibilityState` and `hasFocus()` follow a flag the test sets, and the test
 * fires `visibilitychange` as the browser would.
 */

let browser: Browser
let userAgent: string
let service: TestService
let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let origin: string
let port: number
// The collector's clock: events are stamped with it.
let serverNow = new Date('2026-12-07T10:00:00Z')
const DAY_1 = new Date('2026-12-07T10:00:00Z')
const DAY_2 = new Date('2026-12-08T10:00:00Z')
const TOKEN = 'dashboard-token-for-engagement-tests-0123'

const VISIBILITY = `
  window.__hidden = false
  Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__hidden, configurable: true })
  Object.defineProperty(Document.prototype, 'visibilityState', {
    get: () => (window.__hidden ? 'hidden' : 'visible'),
    configurable: true,
  })
  Document.prototype.hasFocus = () => !window.__hidden
`

const page = (body: string, script = '') => `<!doctype html><html><head><meta charset="utf-8">
<script>window.tally = window.tally || ((...args) => { (window.tally.q = window.tally.q || []).push(args) })</script>
<script defer src="/beacon.js" data-site="demo"></script>${script}
</head><body style="margin:0">${body}</body></html>`

const PAGES: Record<string, string> = {
  '/t/a': page(
    `<p style="height:300px">A</p><a id="next" href="/t/b">next</a>
     <a id="out" href="https://www.brembo.com/en/pads?ref=shop">brembo</a>
     <a id="dl" href="/files/fitting-guide.pdf" onclick="event.preventDefault()">guide</a>`,
  ),
  '/t/b': page('<p style="height:300px">B</p><a id="next" href="/t/c">next</a>'),
  '/t/c': page('<p style="height:300px">C</p>'),
  '/t/long': page('<div style="height:4000px">long</div><p id="end">end</p>'),
  '/t/app': page(
    `<a id="cart" href="#/cart">cart</a> <a id="top" href="#top">top</a>
     <button id="checkout" onclick="history.pushState(null, '', '#/checkout')">checkout</button>`,
  ),
  '/t/missing': page('<h1>Not found</h1>', "<script>tally('not_found')</script>"),
  '/t/pay': page('<a id="pay" href="http://localhost:PORT/pay">pay</a>'),
}

const visitor = (context?: BrowserContext): Promise<Visitor> =>
  openVisitor(browser, userAgent, VISIBILITY, context)

async function serve(context: BrowserContext) {
  await context.route(
    (url) => url.pathname.startsWith('/t/') || url.pathname.startsWith('/files/'),
    (route) => {
      const path = new URL(route.request().url()).pathname
      return route.fulfill({
        contentType: 'text/html',
        body: (PAGES[path] ?? page('?')).replace('PORT', String(port)),
      })
    },
  )
  // The payment host and the other site: pages of their own that link back or nowhere.
  await context.route('http://localhost:*/pay', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<a id="back" href="${origin}/t/c">back to the shop</a>`,
    }),
  )
  await context.route('https://www.brembo.com/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<p>brembo</p>' }),
  )
}

async function hide(visit: Visitor, hidden: boolean) {
  await visit.page.evaluate((value) => {
    ;(window as unknown as { __hidden: boolean }).__hidden = value
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
  }, hidden)
}

// The page's clock, stopped at DAY_1: time moves only when the test moves it.
async function paused(context: BrowserContext) {
  await context.clock.install({ time: DAY_1 })
  await context.clock.pauseAt(new Date(DAY_1.getTime() + 1_000))
}

const query = async <T>(sql: string): Promise<T[]> =>
  (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()

const numbers = <T extends Record<string, unknown>>(rows: T[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [key, Number.isNaN(Number(value)) ? value : Number(value)]),
    ),
  )

beforeAll(async () => {
  const opened = await openTempEmbedded()
  warehouse = opened.warehouse
  disposeWarehouse = opened.dispose
  port = await freePort()
  origin = `http://127.0.0.1:${port}`
  service = await startService(
    warehouse,
    { SITES: `demo=${origin}`, PAYMENT_HOSTS: 'demo=localhost', DASHBOARD_TOKEN: TOKEN },
    { port, now: () => serverNow },
  )
  ;({ browser, userAgent } = await launchVisitorBrowser())
})

afterAll(async () => {
  await browser?.close()
  await service?.close()
  await disposeWarehouse?.()
})

describe('visits and engagement in a real browser', () => {
  it('counts visits, bounces, views per visit and visit duration without an id', async () => {
    // Two visits that bounce and one that reads three pages, each in a tab of its own.
    for (let i = 0; i < 2; i++) {
      const visit = await visitor()
      await serve(visit.context)
      await paused(visit.context)
      await visit.page.goto(`${origin}/t/b`)
      await visit.until(1)
      await visit.context.clock.fastForward(4_000)
      await hide(visit, true)
      await expect.poll(() => visit.engagements().length).toBe(1)
      await visit.accepted()
      await visit.close()
    }
    const reader = await visitor()
    await serve(reader.context)
    await paused(reader.context)
    await reader.page.goto(`${origin}/t/a`, { referer: 'https://news.example.org/' })
    await reader.until(1)
    await reader.context.clock.fastForward(10_000)
    await reader.page.click('#next')
    await reader.until(2)
    await reader.context.clock.fastForward(20_000)
    await reader.page.click('#next')
    await reader.until(3)
    await reader.context.clock.fastForward(30_000)
    await hide(reader, true)
    await expect.poll(() => reader.engagements().length).toBeGreaterThan(0)
    await reader.accepted()
    const pageviews = reader.byType('pageview')
    expect(pageviews.map((event) => event.visit_page)).toEqual([1, 2, 3])
    expect(pageviews[0]).toMatchObject({ returning: false })
    expect(pageviews[1]).not.toHaveProperty('returning')
    // The last page reports its own time, to its own url; nothing says which visit it was. (The
    // reports of the pages left leave as they unload, where the browser may not show them to the
    // test: the collector's rollups below have them.)
    expect(reader.engagements().at(-1)).toMatchObject({ url: `${origin}/t/c`, ms: 30_000 })
    for (const event of [...reader.events(), ...reader.engagements()]) {
      expect(Object.keys(event).join(' ')).not.toMatch(/id\b|session|visit_id|visitor/)
    }
    expectValid([...reader.events(), ...reader.engagements()])
    await reader.close()
    const engaged = () =>
      query<{ path: string; ms: string }>(
        `SELECT path, sumMerge(engaged_ms) AS ms FROM engagement_daily WHERE site = 'demo' AND path IN ('/t/a', '/t/c')
         GROUP BY path ORDER BY path`,
      )
    await expect
      .poll(async () => {
        await service.flush()
        return numbers(await engaged())
      })
      .toEqual([
        { path: '/t/a', ms: 10_000 },
        { path: '/t/c', ms: 30_000 },
      ])

    const [visits] = numbers(
      await query<Record<string, number>>(
        `SELECT sumMerge(visits) AS visits, sumMerge(bounces) AS bounces, sumMerge(pageviews) AS pageviews,
           sumMerge(engaged_ms) AS engaged_ms FROM visits_daily WHERE site = 'demo'`,
      ),
    )
    // 3 visits, 2 of them bounced, 5 pages; 4 + 4 + 10 + 20 + 30 engaged seconds.
    expect(visits).toEqual({ visits: 3, bounces: 2, pageviews: 5, engaged_ms: 68_000 })
    // As the read API computes them: bounce rate 2/3, 5/3 views per visit, 68/3 s per visit.
    const overview = await read(`/api/stats/overview?site=demo&from=2026-12-07&to=2026-12-07`)
    expect(overview.status).toBe(200)
    // One browser is one visitor, below K_ANON: the overview is held back whole, visits included.
    expect((await overview.json()).current).toBeNull()

    const entries = numbers(
      await query<Record<string, number>>(
        `SELECT path, sumMerge(entries) AS entries, sumMerge(bounces) AS bounces, sumMerge(exits) AS exits
         FROM entry_exit_daily WHERE site = 'demo' GROUP BY path ORDER BY path`,
      ),
    )
    expect(entries).toEqual([
      { path: '/t/a', entries: 1, bounces: 0, exits: 0 },
      { path: '/t/b', entries: 2, bounces: 2, exits: 2 },
      { path: '/t/c', entries: 0, bounces: 0, exits: 1 },
    ])
    // The landing referrer is the visit's source, on every page of it.
    const sources = await query<{ referrer_host: string; pageviews: number }>(
      `SELECT referrer_host, sumMerge(pageviews) AS pageviews FROM sources_daily
       WHERE site = 'demo' AND referrer_host != '' GROUP BY referrer_host`,
    )
    expect(numbers(sources)).toEqual([{ referrer_host: 'news.example.org', pageviews: 3 }])
  })

  it('stops time on page while the tab is hidden and reports the deepest scroll', async () => {
    const visit = await visitor()
    await serve(visit.context)
    await paused(visit.context)
    await visit.page.setViewportSize({ width: 800, height: 1000 })
    await visit.page.goto(`${origin}/t/long`)
    await visit.until(1)
    await visit.context.clock.fastForward(5_000)
    await hide(visit, true)
    await expect.poll(() => visit.engagements().length).toBe(1)
    // Hidden for ten minutes: none of it is time on the page.
    await visit.context.clock.fastForward(600_000)
    await hide(visit, false)
    await visit.context.clock.fastForward(2_000)
    await visit.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
    await expect.poll(() => visit.page.evaluate(() => window.scrollY)).toBeGreaterThan(3000)
    await hide(visit, true)
    await expect.poll(() => visit.engagements().length).toBe(2)
    const [first, second] = visit.engagements()
    // 1000 px of a 4000+ px page seen first, then its end; 5 s, then 2 s.
    expect(first).toMatchObject({ ms: 5_000, scroll_from: 0 })
    expect(first?.scroll).toBeGreaterThan(15)
    expect(first?.scroll).toBeLessThan(30)
    expect(second).toMatchObject({ ms: 2_000, scroll: 100, scroll_from: first?.scroll })
    // Shown again with nothing new: no report.
    await hide(visit, false)
    await hide(visit, true)
    await visit.page.waitForTimeout(300)
    expect(visit.engagements()).toHaveLength(2)
    await visit.accepted()
    await visit.close()
    await service.flush()
    const [row] = numbers(
      await query<Record<string, number>>(
        `SELECT sumMerge(pageviews) AS pageviews, sumMerge(engaged_ms) AS engaged_ms, sumMerge(scroll_sum) AS scroll,
           sumMerge(reached_25) AS r25, sumMerge(reached_50) AS r50, sumMerge(reached_75) AS r75,
           sumMerge(reached_100) AS r100
         FROM engagement_daily WHERE site = 'demo' AND path = '/t/long'`,
      ),
    )
    // One view: its deepest scroll is 100, every quartile reached once, 7 s engaged.
    expect(row).toEqual({ pageviews: 1, engaged_ms: 7_000, scroll: 100, r25: 1, r50: 1, r75: 1, r100: 1 })
  })

  it('sends outbound and download clicks, hash-router pages and a 404 page', async () => {
    const visit = await visitor()
    await serve(visit.context)
    await visit.page.goto(`${origin}/t/a`)
    await visit.until(1)
    await visit.page.click('#dl')
    await visit.until(2)
    await visit.page.click('#out')
    await visit.until(3)
    expect(visit.byType('download')).toMatchObject([{ link: `${origin}/files/fitting-guide.pdf` }])
    expect(visit.byType('outbound')).toMatchObject([{ link: 'https://www.brembo.com/en/pads?ref=shop' }])
    await visit.page.goto(`${origin}/t/app`)
    await visit.until(4)
    // An anchor is no page; a hash route is, set as a link's hash or by a router's pushState.
    await visit.page.click('#top')
    await visit.page.click('#cart')
    await visit.until(5)
    await visit.page.click('#checkout')
    await visit.until(6)
    expect(visit.byType('pageview').map((event) => event.url)).toEqual([
      `${origin}/t/a`,
      `${origin}/t/app`,
      `${origin}/t/app#/cart`,
      `${origin}/t/app#/checkout`,
    ])
    await visit.page.goto(`${origin}/t/missing`)
    await visit.until(8)
    expect(visit.byType('not_found')).toMatchObject([{ url: `${origin}/t/missing` }])
    expectValid(visit.events())
    await visit.accepted()
    await visit.close()
    await service.flush()
    const links = await query<{ kind: string; target: string; events: number }>(
      `SELECT kind, target, sumMerge(events) AS events FROM links_daily WHERE site = 'demo'
       GROUP BY kind, target ORDER BY kind`,
    )
    expect(numbers(links)).toEqual([
      { kind: 'download', target: '/files/fitting-guide.pdf', events: 1 },
      { kind: 'not_found', target: '/t/missing', events: 1 },
      { kind: 'outbound', target: 'brembo.com', events: 1 },
    ])
    // The hash routes are pages with paths of their own.
    const pages = await query<{ path: string }>(
      "SELECT DISTINCT path FROM pages_daily WHERE site = 'demo' AND path LIKE '/t/app%' ORDER BY path",
    )
    expect(pages.map((row) => row.path)).toEqual(['/t/app', '/t/app/cart', '/t/app/checkout'])
  })

  it('continues the visit when the visitor comes back from a payment host', async () => {
    const visit = await visitor()
    await serve(visit.context)
    await visit.page.goto(`${origin}/t/pay`, { referer: 'https://search.example.net/' })
    await visit.until(1)
    await visit.page.click('#pay')
    await visit.page.waitForURL('http://localhost:*/pay')
    await visit.page.click('#back')
    // The landing, the click out to the payment host (another site), and the page after it.
    await visit.until(3)
    const [landing, back] = visit.byType('pageview')
    expect(back).toMatchObject({ visit_page: 2, referrer: 'https://search.example.net/' })
    expect(landing).toMatchObject({ visit_page: 1 })
    await visit.accepted()
    await visit.close()
    await service.flush()
    // No visit from the payment host, and it is no referrer.
    const hosts = await query<{ referrer_host: string }>(
      "SELECT DISTINCT referrer_host FROM sources_daily WHERE site = 'demo' AND referrer_host LIKE '%localhost%'",
    )
    expect(hosts).toEqual([])
  })

  it('tells new from returning across two days, from a day the browser keeps', async () => {
    const context = await browser.newContext({ userAgent })
    const first = await visitor(context)
    await serve(context)
    await context.clock.install({ time: DAY_1 })
    serverNow = DAY_1
    await first.page.goto(`${origin}/t/c`)
    await first.until(1)
    // Later the same day, in a new tab: a new visit, still of a new visitor.
    const again = await visitor(context)
    await again.page.goto(`${origin}/t/c`)
    await again.until(1)
    // The next day: a returning one.
    await context.clock.setSystemTime(DAY_2)
    serverNow = DAY_2
    const next = await visitor(context)
    await next.page.goto(`${origin}/t/c`)
    await next.until(1)
    expect([first, again, next].map((visit) => visit.byType('pageview')[0]?.returning)).toEqual([
      false,
      false,
      true,
    ])
    // What the browser keeps: a day number in localStorage, the same for everyone who came that day.
    const kept = await next.page.evaluate(() => ({ ...localStorage }))
    expect(kept).toEqual({ 'tally:since': String(Math.floor(DAY_1.getTime() / 86_400_000)) })
    for (const visit of [first, again, next]) await visit.accepted()
    await context.close()
    await service.flush()
    const kinds = await query<{ day: string; kind: string; visits: number }>(
      `SELECT toString(day) AS day, kind, sumMerge(visits) AS visits FROM visitor_kinds_daily
       WHERE site = 'demo' GROUP BY day, kind ORDER BY day, kind`,
    )
    expect(numbers(kinds).filter((row) => row.day === '2026-12-08')).toEqual([
      { day: '2026-12-08', kind: 'returning', visits: 1 },
    ])
    expect(numbers(kinds).find((row) => row.day === '2026-12-07' && row.kind === 'returning')).toBeUndefined()
    serverNow = DAY_1
  })

  it('leaves no visit id, no time finer than an hour and no per-visit row in any table', async () => {
    await service.flush()
    const tables = await query<{ name: string; engine: string; sorting_key: string }>(
      `SELECT name, engine, sorting_key FROM system.tables
       WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'Null', 'View')`,
    )
    const rollups = new Set<string>(ROLLUPS.map((rollup) => rollup.table))
    // Bookkeeping: migrations, salts and the write ledger hold no event or visit; nor does the
    // publish job's ledger (`claimed_at` is when the job ran). The released figures are noised cells
    // of site × day or hour × dimensions, and `exact_cells` the exact figures of such cells per day
    // kept for the week and month publications: checked for their grain below, not for states.
    const bookkeeping = new Set(['schema_migrations', 'salts', 'write_ledger', 'release_ledger'])
    const published = new Set(['released', 'exact_cells'])
    const snapshots = tables.filter((table) => table.name.startsWith('reco_')).map((table) => table.name)
    for (const table of tables) {
      if (bookkeeping.has(table.name) || snapshots.includes(table.name)) continue
      expect(rollups.has(table.name), `${table.name} is a known rollup`).toBe(true)
      const columns = await query<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${table.name}'`,
      )
      const key = table.sorting_key.split(',').map((name) => name.trim())
      for (const column of columns) {
        expect(column.name, `${table.name}.${column.name}`).not.toMatch(
          /visit_?id|session|visitor$|^id$|user|ip/,
        )
        // A row is a group: its key (site, a day or an hour, dimensions), and aggregates of it.
        if (!key.includes(column.name) && !published.has(table.name)) {
          expect(column.type, `${table.name}.${column.name}`).toMatch(/^AggregateFunction\(/)
        }
      }
      const rows = await query<Record<string, unknown>>(`SELECT * FROM ${table.name}`)
      for (const row of rows) {
        for (const [name, value] of Object.entries(row)) {
          if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) {
            expect(value.slice(13), `${table.name}.${name}`).toBe(':00:00')
          }
        }
      }
    }
    // Three bounced or read visits of the same shape fold into one row per group: rows do not track visits.
    await warehouse.client.command({ query: 'OPTIMIZE TABLE visits_daily FINAL' })
    const [visitRows] = await query<{ n: string }>(
      "SELECT count() AS n FROM visits_daily WHERE site = 'demo' AND day = '2026-12-07'",
    )
    const [visitCount] = await query<{ n: string }>(
      "SELECT sumMerge(visits) AS n FROM visits_daily WHERE site = 'demo' AND day = '2026-12-07'",
    )
    expect(Number(visitRows?.n)).toBeLessThan(Number(visitCount?.n))
  })
})

async function read(path: string): Promise<Response> {
  return fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
}
