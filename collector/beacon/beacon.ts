/**
 * The storefront beacon. It sends one small JSON event per page view or `tally(...)` call and keeps
 * only tab-scoped context (sessionStorage): the previous page, the last product viewed, the last
 * offer clicked, and the tab's landing (another site's referrer, the landing URL's campaign tags),
 * sent with every event so that source and campaign belong to the visit, not to each page. No
 * cookie, no persistent id, no fingerprint; the only localStorage entry is the visitor's own
 * opt-out flag.
 *
 * Written for size (< 1 KB gzipped): no object spread or optional chaining, which es2017 would
 * down-level into helpers.
 */

type Fields = Record<string, unknown>
type Ref = Record<string, string>
type Tally = ((type: string, fields?: Fields) => void) & {
  q?: ArrayLike<unknown>[]
  optOut?: () => void
  optIn?: () => void
}

const win = window as Window & { tally?: Tally }
const nav = navigator as Navigator & { globalPrivacyControl?: boolean }
const doc = document as Document & { prerendering?: boolean }
const loc = location
const OPT_OUT = 'tally:optout'
// The tab's context: { url: last page, product: last product viewed, offer: last offer clicked,
// ref: the entry referrer (another site's), utm: the landing URL's campaign }.
const CONTEXT = 'tally:prev'
const CREDITED = /^(add_to_cart|checkout|purchase)$/

// Only a well-formed reference is remembered: a malformed one would be replayed as `prev`/`offer`
// on every later event of the tab and make the collector reject all of them.
const pick = (value: unknown, a: string, b: string): Ref | undefined => {
  const source = (value || {}) as Ref
  const ref: Ref = { [a]: source[a] as string, [b]: source[b] as string }
  if ([ref[a], ref[b]].every((text) => typeof text === 'string' && text && text.length <= 128)) return ref
}

let site: string | undefined
let api: string | URL

// Per page, in memory: the url of the page before this one.
let pagePrev: string | undefined
let path = loc.pathname

// sendBeacon may be missing, refuse the request (queue full) or throw (bad URL): each falls back to fetch.
// A string body goes as `text/plain;charset=UTF-8` either way: a simple request, with no preflight.
const send = (body: string) => {
  try {
    if (nav.sendBeacon(api, body)) return
  } catch {}
  fetch(api, { method: 'POST', body, keepalive: true }).catch(() => {})
}

const track = (type: string, fields?: Fields) => {
  if (
    nav.globalPrivacyControl ||
    nav.doNotTrack === '1' ||
    nav.webdriver ||
    localStorage.getItem(OPT_OUT) === '1'
  ) {
    return
  }
  let stored = JSON.parse(sessionStorage.getItem(CONTEXT) || '0')
  if (!stored) {
    // The tab's first event: its landing. Values are cut to the schema's limits, as they are replayed.
    const ref = doc.referrer
    const utm: Ref = {}
    stored = {}
    if (ref && new URL(ref).origin !== loc.origin) stored.ref = ref.slice(0, 2048)
    for (const key of ['source', 'medium', 'campaign']) {
      const value = new URLSearchParams(loc.search).get(`utm_${key}`)
      if (value) {
        utm[key] = value.slice(0, 128)
        stored.utm = utm
      }
    }
  }
  const event: Fields = Object.assign({}, fields, {
    type,
    site,
    url: loc.href,
    referrer: stored.ref,
    utm: stored.utm,
  })
  if (type === 'pageview') {
    pagePrev = stored.url
    stored.url = loc.href
  }
  if (pagePrev || stored.product) event.prev = { url: pagePrev, product: stored.product }
  if (type === 'product_view') stored.product = pick(event.product, 'id', 'category') || stored.product
  if (type === 'offer_click') stored.offer = pick(event.offer, 'id', 'variant') || stored.offer
  if (CREDITED.test(type) && !event.offer) event.offer = stored.offer
  sessionStorage.setItem(CONTEXT, JSON.stringify(stored))
  send(JSON.stringify(event))
}

const tally: Tally = (type, fields) => {
  try {
    track(type, fields)
  } catch {}
}
tally.optOut = () => {
  try {
    localStorage.setItem(OPT_OUT, '1')
    sessionStorage.removeItem(CONTEXT)
  } catch {}
}
tally.optIn = () => {
  try {
    localStorage.removeItem(OPT_OUT)
  } catch {}
}

const routeChanged = () => {
  if (loc.pathname !== path) {
    path = loc.pathname
    tally('pageview')
  }
}

try {
  // The pre-load stub has no optOut: its presence means this script already ran on the page.
  const existing = win.tally || ({} as Tally)
  if (!existing.optOut) {
    const script = (doc.currentScript || doc.querySelector('script[data-site]')) as HTMLScriptElement
    site = script.dataset.site
    api = script.dataset.api || new URL('/api/event', script.src)
    // The GA4 bridge (docs/ga4.md) is a script of its own: only pages that ask for it load it.
    if (script.dataset.ecommerce === 'ga4')
      import(new URL('beacon-ga4.js', script.src) as never).catch(() => {})
    const queued = existing.q || []
    win.tally = tally
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      history[method] = (...args: Parameters<History['pushState']>) => {
        const result = original.apply(history, args)
        routeChanged()
        return result
      }
    }
    addEventListener('popstate', routeChanged)
    const start = () => {
      tally('pageview')
      for (const args of queued) tally(args[0] as string, args[1] as Fields)
    }
    // A speculatively prerendered page may never be seen: count it only once it is shown.
    if (doc.prerendering) doc.addEventListener('prerenderingchange', start)
    else start()
  }
} catch {}
