/**
 * The storefront beacon. It sends one small JSON event per page view or `tally(...)` call and keeps
 * only tab-scoped context (sessionStorage): the previous page, the last product viewed and the last
 * offer clicked. No cookie, no persistent id, no fingerprint; the only localStorage entry is the
 * visitor's own opt-out flag.
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
const OPT_OUT = 'tally:optout'
// The tab's context: { url: last page, product: last product viewed, offer: last offer clicked }.
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
let api: string

// Per page, in memory: the url of the page before this one, and the referrer a full navigation
// would have produced (an SPA route change keeps the landing page's document.referrer forever).
let pagePrev: string | undefined
let referrer = doc.referrer || undefined
let path = location.pathname
let here = location.href

// sendBeacon may be missing, refuse the request (queue full) or throw (bad URL): each falls back to fetch.
const send = (body: string) => {
  try {
    if (nav.sendBeacon(api, new Blob([body], { type: 'text/plain' }))) return
  } catch {}
  fetch(api, { method: 'POST', body, keepalive: true, headers: { 'Content-Type': 'text/plain' } }).catch(
    () => {},
  )
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
  const event: Fields = Object.assign({}, fields, { type, site, url: location.href, referrer })
  const stored = JSON.parse(sessionStorage.getItem(CONTEXT) || '{}')
  if (type === 'pageview') {
    pagePrev = stored.url
    stored.url = location.href
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
  const from = here
  here = location.href
  if (location.pathname !== path) {
    path = location.pathname
    referrer = from
    tally('pageview')
  }
}

try {
  // The pre-load stub has no optOut: its presence means this script already ran on the page.
  const existing = win.tally || ({} as Tally)
  if (!existing.optOut) {
    const script = (doc.currentScript || doc.querySelector('script[data-site]')) as HTMLScriptElement
    site = script.dataset.site
    api = script.dataset.api || `${new URL(script.src).origin}/api/event`
    const queued = existing.q || []
    win.tally = tally
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args)
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
    if (doc.prerendering) doc.addEventListener('prerenderingchange', start, { once: true })
    else start()
  }
} catch {}
