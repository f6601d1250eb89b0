import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Storefront = {
  /** The storefront's origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Serves `html` at `path` from now on. */
  page(path: string, html: string): void
  close(): Promise<void>
}

/**
 * A storefront of its own on a real socket, on another origin than the service: the page loads
 * the beacon from the service's origin, as a shop's page loads it from Tally's host.
 */
export async function startStorefront(): Promise<Storefront> {
  const pages = new Map<string, string>()
  const server = createServer((request, response) => {
    const html = pages.get(new URL(request.url ?? '/', 'http://storefront').pathname)
    response.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(html ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    page: (path, html) => pages.set(path, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
