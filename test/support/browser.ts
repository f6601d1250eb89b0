import { execFileSync } from 'node:child_process'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { expect } from 'vitest'
import { freePort } from '../../load/lib/clickhouse-server.ts'
import { Event } from '../../schemas/events.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { launchChromium } from './chromium.ts'
import { startService, type TestService } from './service.ts'

/** Headless Chromium that looks like a visitor's desktop browser to the beacon and the bot filter. */
export async function launchVisitorBrowser(): Promise<{ browser: Browser; userAgent: string }> {
  // Headless Chromium says "HeadlessChrome" in its user agent, which bot filters rightly drop. The
  // browser itself is told the visitor's user agent too, not only each context: a beacon a page
  // sends as it unloads (an engagement report) leaves with the browser's own.
  const version = /(\d+)\.\d+\.\d+\.\d+/.exec(
    execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
  )
  const major = version?.[1] ?? '131'
  const userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`
  const browser = await launchChromium({ asVisitor: true, userAgent })
  return { browser, userAgent }
}

/**
 * The real service over `warehouse`, with the demo shop's site allowed from the service's own
 * origin: the browser sends that origin with every beacon, and the collector checks it.
 */
export async function startShopService(warehouse: Warehouse): Promise<TestService> {
  const port = await freePort()
  return startService(warehouse, { SITES: `demo=http://127.0.0.1:${port}` }, { port })
}

// Counts the beacon's network calls inside the page, so "nothing was sent" is checked where it happens
// rather than inferred from a quiet network.
const SPY = `
  window.__calls = 0
  for (const [owner, key] of [[navigator, 'sendBeacon'], [window, 'fetch']]) {
    const original = owner[key]
    if (original) owner[key] = function (...args) { window.__calls++; return original.apply(this, args) }
  }
`
export type ShopWindow = Window & {
  __calls: number
  tally: ((type: string, fields?: object) => void) & { optOut: () => void; optIn: () => void }
}

export type Sent = Record<string, unknown> & { type: string }
/** One event as it left the browser: the parsed body, the request that carried it, and the answer. */
export type Beacon = { body: Sent; request: Request; answer: Promise<Answer> }
type Answer = { status: number; body: string } | null

// A refusal's body is read as soon as it arrives: a later navigation would discard it.
const answerOf = (request: Request): Promise<Answer> =>
  request.response().then(
    async (response) =>
      response && {
        status: response.status(),
        body: response.status() === 202 ? '' : await response.text().catch(() => ''),
      },
    () => null,
  )

export type Visitor = {
  page: Page
  context: BrowserContext
  /** Every POST to an `/api/event` endpoint, in the order the browser made them. */
  sent: Beacon[]
  errors: Error[]
  /**
   * Every event but engagement reports, in order. Those leave when the page is hidden, left or
   * replaced, as the page's focus and scroll allow, so counts of the others stay exact without them.
   */
  events(): Sent[]
  /** The engagement reports sent so far. */
  engagements(): Sent[]
  byType(type: string): Sent[]
  /** Waits until `count` events (engagement reports aside) have been answered 202, and returns them. */
  until(count: number): Promise<Sent[]>
  /** Waits for the answer to every event sent so far and expects each to be 202. */
  accepted(): Promise<void>
  close(): Promise<void>
}

const isBeacon = (request: Request) =>
  request.method() === 'POST' && new URL(request.url()).pathname === '/api/event'

const prepared = new WeakSet<BrowserContext>()

/**
 * A fresh tab in its own context; `init` runs before the page's own scripts. Given `shared`, a new
 * tab of that context instead (same browser storage and cache, its own sessionStorage), which
 * records only its own beacons; the context's setup is done once, by its first tab.
 */
export async function openVisitor(
  browser: Browser,
  userAgent: string,
  init?: string,
  shared?: BrowserContext,
): Promise<Visitor> {
  const context = shared ?? (await browser.newContext({ userAgent }))
  if (!prepared.has(context)) {
    prepared.add(context)
    // The page's own setup runs first, as it would in a real browser; the spy wraps what it leaves.
    if (init) await context.addInitScript(init)
    await context.addInitScript(SPY)
    context.setDefaultTimeout(5_000)
    // Chromium hands the body of a sendBeacon request to Playwright only when the request passes
    // through its interception, so beacons go through a route that continues them unchanged.
    await context.route(
      (url) => url.pathname === '/api/event',
      (route) => route.continue(),
    )
  }
  const sent: Beacon[] = []
  const page = await context.newPage()
  context.on('request', (request) => {
    if (!isBeacon(request)) return
    if (shared && request.frame().page() !== page) return
    sent.push({ body: JSON.parse(request.postData() ?? 'null'), request, answer: answerOf(request) })
  })
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))

  const events = () => sent.map((beacon) => beacon.body).filter((event) => event.type !== 'engagement')
  const engagements = () => sent.map((beacon) => beacon.body).filter((event) => event.type === 'engagement')
  // A beacon sent as its page navigates away outlives the page, and Playwright may then report no
  // answer for it (its document is gone) although the collector answered: how often depends only
  // on how fast the answer comes. Every answer Playwright does see must be a 202; the end-to-end
  // test (beacon.e2e.test.ts) compares what the browser sent with what reached the rollups, which
  // is what proves the unseen ones accepted.
  const accepted = async () => {
    let seen = 0
    for (const { body, answer } of sent) {
      const got = await answer
      if (got === null) continue
      seen++
      expect(got.status, `${JSON.stringify(body)} was answered ${got.status} ${got.body}`).toBe(202)
    }
    expect(seen, 'no answer to any beacon was seen').toBeGreaterThan(0)
  }
  return {
    page,
    context,
    sent,
    errors,
    events,
    engagements,
    byType: (type) => sent.map((beacon) => beacon.body).filter((event) => event.type === type),
    until: async (count) => {
      await expect.poll(() => events().length, { timeout: 5_000, interval: 20 }).toBeGreaterThanOrEqual(count)
      await accepted()
      return events()
    },
    accepted,
    close: () => (shared ? page.close() : context.close()),
  }
}

export const calls = (page: Page) => page.evaluate(() => (window as unknown as ShopWindow).__calls)
export const beaconLoaded = (page: Page) =>
  page.evaluate(() => typeof (window as unknown as ShopWindow).tally.optOut === 'function')
export const storage = (page: Page) =>
  page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    cookie: document.cookie,
  }))
// A request that was never made cannot arrive; this only gives a stray one the chance to show up.
export const settle = (page: Page) => page.waitForTimeout(300)

/** Each event passes the collector's schema, and the schema keeps all of it. */
export function expectValid(events: Sent[]) {
  for (const event of events) {
    const parsed = Event.safeParse(event)
    expect(parsed.error, JSON.stringify(event)).toBeUndefined()
    // The schema strips unknown keys, so equality means the beacon sends nothing the schema ignores.
    expect(parsed.data).toEqual(event)
  }
}
