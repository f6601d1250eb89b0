import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { launchVisitorBrowser } from '../support/browser.ts'
import { row } from '../support/rows.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// In Chromium: a sign-in never leaves the site, whatever `next` says once the browser has
// stripped what it strips; and the insights panel reads segments whose visitors have no country.
const DASHBOARD_TOKEN = 'security-browser-dash-token-0123456789'
const API_TOKEN = 'security-browser-api-token-0123456789'
const K = 2

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService
let browser: Browser

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, {
    DASHBOARD_TOKEN,
    API_TOKEN,
    K_ANON: String(K),
    SITES: 'demo=https://shop.example',
  })
  const hour = `${new Date().toISOString().slice(0, 13).replace('T', ' ')}:00:00`
  // Visitors from private or unlisted ranges: no country.
  const rows = ['brakes', 'bags\u2028x'].flatMap((category, c) =>
    Array.from({ length: 4 }, (_, i) =>
      row({
        site: 'demo',
        hour,
        country: '',
        category,
        visitor: String(100 * (c + 1) + i),
        type: 'offer_impression',
        offer_id: 'o-1',
        offer_variant: i % 2 ? 'a' : 'control',
      }),
    ),
  )
  await warehouse.client.insert({ table: 'events_in', values: rows, format: 'JSONEachRow' })
  await computeInsights(warehouse, new Date(), { kAnon: K })
  ;({ browser } = await launchVisitorBrowser())
})
afterAll(async () => {
  await browser?.close()
  await service?.close()
  await dispose?.()
})

async function openPage() {
  const context = await browser.newContext({ locale: 'en-US' })
  context.setDefaultTimeout(10_000)
  const elsewhere: string[] = []
  // Nothing outside the service is reachable here; anything asked of another host is recorded
  // (a redirect's target included, which a route would not see).
  context.on('request', (request) => {
    if (new URL(request.url()).host !== new URL(service.url).host) elsewhere.push(request.url())
  })
  return { context, page: await context.newPage(), elsewhere }
}

describe('the dashboard in Chromium', () => {
  it('signs in and stays on the site when next holds a tab before //host', async () => {
    const { context, page, elsewhere } = await openPage()
    for (const next of ['/\t/evil.example/x', '/\n/evil.example/x', '/\\evil.example/x']) {
      await page.goto(`${service.url}/login?next=${encodeURIComponent(next)}`)
      await page.fill('#token', DASHBOARD_TOKEN)
      await Promise.all([page.waitForNavigation().catch(() => null), page.click('button[type=submit]')])
      expect(new URL(page.url()).origin, next).toBe(service.url)
      // Already signed in: GET /login?next= redirects at once, under the same rule.
      await page.goto(`${service.url}/login?next=${encodeURIComponent(next)}`).catch(() => null)
      expect(new URL(page.url()).origin, next).toBe(service.url)
      await context.clearCookies()
    }
    expect(elsewhere).toEqual([])
    await context.close()
  })

  it('shows the best offer of segments whose visitors have no country', async () => {
    const { context, page } = await openPage()
    await page.goto(`${service.url}/login`)
    await page.fill('#token', DASHBOARD_TOKEN)
    await Promise.all([page.waitForURL((url) => url.pathname === '/'), page.click('button[type=submit]')])
    await page.waitForSelector('#panel-insights[aria-busy="false"]', { timeout: 15_000 })
    const panel = (await page.locator('#panel-insights').textContent()) ?? ''
    expect(panel).not.toContain('Could not load')
    const listed = await fetch(`${service.url}/api/v1/segments?site=demo&limit=1000`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    }).then((r) => r.json() as Promise<{ rows: { segment: string }[] }>)
    expect(listed.rows.map((r) => r.segment)).toContain(
      'device=desktop|country=|source=direct|category=brakes',
    )
    expect(await page.locator('#insights-summary tbody tr').count()).toBe(listed.rows.length)
    await context.close()
  })
})
