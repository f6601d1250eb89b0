import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGAGED_SECONDS_PER_VISITOR_DAY } from '../../schemas/contribution.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { CHROME_UA, postEvents } from '../support/http.ts'
import { parseMetrics } from '../support/metrics.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

const SHOP = 'https://shop.example'
const pageview = (path: string, extra: object = {}) => ({
  type: 'pageview',
  site: 'shop',
  url: `${SHOP}${path}`,
  ...extra,
})
const product = { id: 'bp-1', category: 'brakes', price: 39.9 }

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: TestService

async function query<T>(sql: string): Promise<T[]> {
  return (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()
}

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  // With the release machinery on, as in production: the contribution bound applies.
  service = await startService(warehouse, { SITES: `shop=${SHOP}`, DP_EPSILON: '1' })
})
afterAll(async () => {
  await service?.close()
  await disposeWarehouse?.()
})

describe('POST /api/event over a real socket', () => {
  it('accepts one event as JSON with 202 and the count', async () => {
    const response = await postEvents(
      service.url,
      pageview('/', { referrer: 'https://www.google.com/search?q=x' }),
    )
    expect(response.status).toBe(202)
    expect(response.json).toEqual({ accepted: 1 })
  })

  it('accepts a batch sent as text/plain, as navigator.sendBeacon does', async () => {
    const batch = {
      events: [
        pageview('/p/brake-pads'),
        { type: 'product_view', site: 'shop', url: `${SHOP}/p/brake-pads`, product },
        { type: 'add_to_cart', site: 'shop', url: `${SHOP}/p/brake-pads`, product },
      ],
    }
    const response = await postEvents(service.url, batch, {
      'content-type': 'text/plain;charset=UTF-8',
      origin: SHOP,
    })
    expect(response.status).toBe(202)
    expect(response.json).toEqual({ accepted: 3 })
  })

  it.each([
    ['Sec-GPC', { 'sec-gpc': '1' }],
    ['DNT', { dnt: '1' }],
    [
      'a crawler',
      { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    ],
    ['headless Chrome', { 'user-agent': CHROME_UA.replace('Chrome/', 'HeadlessChrome/') }],
    ['no user agent', { 'user-agent': '' }],
  ])('drops %s with 204 before reading the body', async (_, headers) => {
    const response = await postEvents(service.url, 'not even json', headers)
    expect(response.status).toBe(204)
  })

  it('answers invalid JSON with 400', async () => {
    const response = await postEvents(service.url, '{"type":')
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid_json', field: 'body' })
  })

  it('names the bad field of a bad event in a batch', async () => {
    const response = await postEvents(service.url, {
      events: [
        pageview('/'),
        { type: 'add_to_cart', site: 'shop', url: `${SHOP}/`, product: { category: 'x' } },
      ],
    })
    expect(response.status).toBe(400)
    expect(response.json).toMatchObject({ error: 'invalid', field: 'events.1.product.id' })
  })

  it('rejects an unknown site and a foreign origin', async () => {
    const unknown = await postEvents(service.url, { ...pageview('/'), site: 'other' })
    expect(unknown.status).toBe(400)
    expect(unknown.json).toMatchObject({ error: 'unknown_site', field: 'site' })
    const foreign = await postEvents(service.url, pageview('/'), { origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.json).toMatchObject({ error: 'origin', field: 'site' })
  })

  it('refuses other content types with 415 and large bodies with 413', async () => {
    const form = await postEvents(service.url, 'type=pageview', {
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(form.status).toBe(415)
    const huge = await postEvents(service.url, { events: [pageview(`/${'a'.repeat(70_000)}`)] })
    expect(huge.status).toBe(413)
    expect(huge.json).toMatchObject({ error: 'too_large' })
  })

  it('allows CORS only for configured origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${service.url}/api/event`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
    expect((await preflight(SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP)
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('folds accepted events into the rollups after a flush', async () => {
    await service.flush()
    const pages = await query<{ path: string; pageviews: number; visitors: number }>(
      "SELECT path, sumMerge(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS visitors FROM pages_daily WHERE site = 'shop' GROUP BY path ORDER BY path",
    )
    expect(pages).toEqual([
      { path: '/', pageviews: 1, visitors: 1 },
      { path: '/p/brake-pads', pageviews: 1, visitors: 1 },
    ])
    const sources = await query<{ source: string; referrer_host: string }>(
      "SELECT source, referrer_host FROM sources_daily WHERE site = 'shop' AND referrer_host != ''",
    )
    expect(sources).toEqual([{ source: 'search', referrer_host: 'google.com' }])
    const [products] = await query<{ views: number; carts: number }>(
      "SELECT sumMerge(views) AS views, sumMerge(carts) AS carts FROM products_daily WHERE product_id = 'bp-1'",
    )
    expect(products).toEqual({ views: 1, carts: 1 })
  })

  it('counts every drop by reason on /metrics', async () => {
    const metrics = parseMetrics(await (await fetch(`${service.url}/metrics`)).text())
    expect(metrics['tally_events_dropped_total{reason="opt_out"}']).toBe(2)
    expect(metrics['tally_events_dropped_total{reason="bot"}']).toBe(3)
    expect(metrics['tally_events_dropped_total{reason="invalid"}']).toBe(2)
    expect(metrics.tally_events_accepted_total).toBe(4)
    expect(metrics.tally_events_flushed_total).toBe(4)
  })

  it('drops the events of a visitor-day past its contribution bound, and counts them on /metrics', async () => {
    // Another user agent: another visitor, whose day starts here.
    const firefox = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }
    const events = Array.from({ length: 15 }, (_, index) => pageview(`/c/${index}`))
    const response = await postEvents(service.url, { events }, firefox)
    expect(response.status).toBe(202)
    expect(response.json).toEqual({ accepted: 10 })
    // The bound holds across requests: nothing more of this visitor's pageviews today.
    expect((await postEvents(service.url, pageview('/again'), firefox)).json).toEqual({ accepted: 0 })
    const text = await (await fetch(`${service.url}/metrics`)).text()
    expect(text).toMatch(/tally_events_dropped_total\{reason="contribution_bound"\} 6/)
  })

  it('counts at most three visits of a visitor-day, keeping the pages of a fourth, and says so on /metrics', async () => {
    const edge = {
      'user-agent':
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
    }
    const before = parseMetrics(await (await fetch(`${service.url}/metrics`)).text())
    // Five visits of one page each: five bounced visits as the beacon reports them.
    for (let visit = 0; visit < 5; visit++) {
      const event = { type: 'pageview', site: 'shop', url: `${SHOP}/visit-bound/${visit}`, visit_page: 1 }
      expect((await postEvents(service.url, event, edge)).json).toEqual({ accepted: 1 })
    }
    const after = parseMetrics(await (await fetch(`${service.url}/metrics`)).text())
    expect(after.tally_visits_bounded_total).toBe((before.tally_visits_bounded_total ?? 0) + 2)
    await service.flush()
    const [entries] = await query<{ entries: number; bounces: number }>(
      "SELECT sumMerge(entries) AS entries, sumMerge(bounces) AS bounces FROM entry_exit_daily WHERE site = 'shop' AND startsWith(path, '/visit-bound/')",
    )
    const [pages] = await query<{ pageviews: number }>(
      "SELECT sumMerge(pageviews) AS pageviews FROM pages_daily WHERE site = 'shop' AND startsWith(path, '/visit-bound/')",
    )
    expect([Number(entries?.entries), Number(entries?.bounces), Number(pages?.pageviews)]).toEqual([3, 3, 5])
  })

  it("caps a visitor-day's engaged seconds: clips the report that crosses the cap, drops the rest", async () => {
    // Another user agent again: a visitor whose day starts here.
    const safari = {
      'user-agent':
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    }
    const report = (ms: number) => ({
      type: 'engagement',
      site: 'shop',
      url: `${SHOP}/read`,
      ms,
      scroll: 10,
      scroll_from: 0,
    })
    const before = parseMetrics(await (await fetch(`${service.url}/metrics`)).text())
    const minutes = [30, 20, 30, 1]
    for (const minute of minutes) await postEvents(service.url, report(minute * 60_000), safari)
    const after = parseMetrics(await (await fetch(`${service.url}/metrics`)).text())
    expect(after.tally_engagement_clipped_total).toBe((before.tally_engagement_clipped_total ?? 0) + 1)
    const boundKey = 'tally_events_dropped_total{reason="contribution_bound"}'
    expect(after[boundKey]).toBe((before[boundKey] ?? 0) + 1)
    await service.flush()
    const [stored] = await query<{ engaged_ms: string }>(
      "SELECT sumMerge(engaged_ms) AS engaged_ms FROM engagement_daily WHERE site = 'shop' AND path = '/read'",
    )
    // 30 + 20 + the 10 minutes left of the hour; the last minute is past the cap.
    expect(Number(stored?.engaged_ms)).toBe(ENGAGED_SECONDS_PER_VISITOR_DAY * 1000)
  })

  it('reports health with the warehouse and migrations', async () => {
    const response = await fetch(`${service.url}/healthz`)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { status: string; warehouse: { kind: string; version: string } }
    expect(body).toMatchObject({ status: 'ok', warehouse: { kind: 'embedded', reachable: true } })
    expect(body.warehouse.version).toMatch(/^2\d\./)
  })

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${service.url}/nope`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: 'not_found' })
  })
})
