import { describe, expect, it } from 'vitest'
import { buildBeacon } from '../../collector/beacon/build.ts'
import { demoShopRoutes } from '../../collector/beacon/demo-routes.ts'
import { beaconRoutes } from '../../collector/beacon/routes.ts'

describe('beacon routes', () => {
  it('is built once, minified, and at most 1.5 KB gzipped', async () => {
    const built = await buildBeacon()
    console.log(`beacon.js: ${built.bytes} B minified, ${built.gzipBytes} B gzipped`)
    // Visits, engagement, outbound links, downloads and hash routes included; the GA4 bridge is a
    // separate script that only the attribute loads (docs/ga4.md).
    expect(built.gzipBytes).toBeLessThanOrEqual(1536)
    expect(built.code).not.toContain('tally:orders')
    // One line, wrapped in an IIFE so nothing leaks into the storefront's globals.
    expect(built.code.trimEnd()).not.toContain('\n')
    expect(built.code).toMatch(/^\(\(\)=>\{/)
    expect(await buildBeacon()).toBe(built)
  })

  it('serves beacon.js cacheably with an ETag and answers 304 to a matching If-None-Match', async () => {
    const app = beaconRoutes()
    const first = await app.request('/beacon.js')
    expect(first.headers.get('content-type')).toBe('application/javascript; charset=utf-8')
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400')
    expect(await first.text()).toBe((await buildBeacon()).code)
    const tag = first.headers.get('etag') ?? 'missing'
    const statusFor = async (ifNoneMatch: string) =>
      (await app.request('/beacon.js', { headers: { 'If-None-Match': ifNoneMatch } })).status
    for (const header of [tag, `W/${tag}`, `"other", ${tag}`]) expect(await statusFor(header)).toBe(304)
    expect(await statusFor('"other"')).toBe(200)
  })

  it('declares Global Privacy Control support and serves the demo shop on its SPA paths', async () => {
    const gpc = await beaconRoutes().request('/.well-known/gpc.json')
    expect(gpc.headers.get('content-type')).toMatch(/^application\/json\b/)
    expect(await gpc.json()).toEqual({ gpc: true, lastUpdate: '2026-11-25' })
    for (const path of ['/demo-shop', '/demo-shop/product/bp-1']) {
      const res = await demoShopRoutes().request(path)
      expect(res.headers.get('content-type')).toMatch(/^text\/html\b/)
      expect(await res.text()).toContain('<script defer src="/beacon.js" data-site="demo"></script>')
    }
  })
})
