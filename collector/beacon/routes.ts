import { createHash } from 'node:crypto'
import { type Context, Hono } from 'hono'
import { buildBeacon, type Script } from './build.ts'

/** The collector's GPC support resource: it honours Global Privacy Control (see opt-out handling). */
const GPC = { gpc: true, lastUpdate: '2026-11-25' }

const etags = new Map<Script, Promise<string>>()

const beaconEtag = (script: Script) => {
  let etag = etags.get(script)
  if (!etag) {
    etag = buildBeacon(script).then(
      ({ code }) => `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`,
      (error: unknown) => {
        etags.delete(script)
        throw error
      },
    )
    etags.set(script, etag)
  }
  return etag
}

/** True when an If-None-Match header names this representation (weak comparison, as RFC 9110 asks). */
const matches = (header: string | undefined, tag: string) =>
  header?.split(',').some((candidate) => {
    const value = candidate.trim()
    return value === '*' || value.replace(/^W\//, '') === tag
  })

export function beaconRoutes(): Hono {
  const app = new Hono()

  const serve = (script: Script) => async (c: Context) => {
    const [{ code }, tag] = await Promise.all([buildBeacon(script), beaconEtag(script)])
    c.header('ETag', tag)
    c.header('Cache-Control', 'public, max-age=86400')
    // Storefronts on other origins load this script; these let it load under SRI (CORS) and COEP.
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Cross-Origin-Resource-Policy', 'cross-origin')
    if (matches(c.req.header('If-None-Match'), tag)) return c.body(null, 304)
    c.header('Content-Type', 'application/javascript; charset=utf-8')
    return c.body(code)
  }
  app.get('/beacon.js', serve('beacon'))
  // The GA4 bridge, which the beacon loads only for `data-ecommerce="ga4"` (docs/ga4.md).
  app.get('/beacon-ga4.js', serve('ga4'))

  app.get('/.well-known/gpc.json', (c) => c.json(GPC))

  return app
}
