/**
 * A hash-routed page (`https://shop.example/#/cart`, `/app#!/orders/1`) as the URL of the page it
 * stands for (`https://shop.example/cart`, `/app/orders/1`), so that the path is scrubbed and kept
 * like any other. Any other fragment is an anchor and stays a fragment, which scrubbing drops. The
 * beacon takes the same fragments (`#/…`, `#!/…`) for pages of their own.
 */
export function hashRoute(raw: string): string {
  const at = raw.indexOf('#')
  if (at < 0) return raw
  const route = /^#!?(\/[^#]*)/.exec(raw.slice(at))
  if (!route?.[1]) return raw
  // The route's own query replaces the page's: the page's query belongs to the shell, not the route.
  const base = raw.slice(0, at).replace(/\?.*$/, '').replace(/\/$/, '')
  return `${base}${route[1]}`
}
