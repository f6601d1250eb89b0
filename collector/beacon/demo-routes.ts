import { readFileSync } from 'node:fs'
import { Hono } from 'hono'

// Read once: the page is static and small.
const page = readFileSync(new URL('./demo-shop.html', import.meta.url), 'utf8')

/** A demo storefront with the beacon installed, for trying the service out and for browser tests. */
export function demoShopRoutes(): Hono {
  const app = new Hono()
  app.get('/demo-shop', (c) => c.html(page))
  // The shop routes client-side, so a reload on any of its paths must load the same page.
  app.get('/demo-shop/*', (c) => c.html(page))
  return app
}
