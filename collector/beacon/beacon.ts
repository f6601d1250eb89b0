/**
 * The storefront beacon. It sends one small JSON event per page view or `tally(...)` call and keeps
 * only tab-scoped context (sessionStorage): the previous page, the last product viewed, the last
 * offer clicked, and the tab's visit (another site's referrer, the landing URL's campaign tags, how
 * many pages it has seen and when it was last active), sent with every event so that source and
 * campaign belong to the visit, not to each page. No cookie, no persistent id, no fingerprint, and
 * no visit id ever leaves the browser: a pageview says only where it stands in its visit
 * (`visit_page`) and, on a visit's first page, whether the browser first came on an earlier day
 * (`returning`). localStorage holds the visitor's own opt-out flag and that first day (a day
 * number, the same for everyone who first came that day, never sent). docs/engagement.md.
 *
 * Engagement: time on page runs only while the page is visible and focused, and the deepest scroll
 * reached is remembered; both are sent when the page is hidden or left or replaced by SPA
 * navigation, and only when the scroll grew or at least 3 s accrued; each report names the URL
 * its visit began on (`entry`), so time adds up per entry page. Outbound link and download
 * clicks are sent unless the script tag says `data-links="off"`; a 404 page calls
 * `tally('not_found')`.
 *
 * Written for size (≤ 1.5 KB gzipped, checked by test/collector/beacon-routes.test.ts): no object
 * spread or optional chaining, which es2017 would down-level into helpers. A constant used once is
 * written where it is used (the minifier does not inline it, and its name and `=` cost bytes);
 * repeated code such as the try/catch of each entry point is left repeated where a shared helper
 * measured larger once gzipped (gzip already shares the repetition).
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
const now = Date.now
const OPT_OUT = 'tally:optout'
const SEEN = 'tally:since'
// The tab's context: { url: last page, product: last product viewed, offer: last offer clicked,
// ref: the entry referrer (another site's), utm: the landing URL's campaign, n: pages seen in this
// visit, t: when the visit was last active, e: the visit's landing URL }.
const CONTEXT = 'tally:prev'

// Only a well-formed reference is remembered: a malformed one would be replayed as `prev`/`offer`
// on every later event of the tab and make the collector reject all of them. Both references are
// `{ id, <b> }`.
const pick = (value: unknown, b: string): Ref | undefined => {
  const source = (value || {}) as Ref
  const ref: Ref = {}
  // Each field is copied and checked in one pass over the two names (the smallest form measured).
  // biome-ignore lint/suspicious/noAssignInExpressions: copy then check, each field read once
  if (['id', b].every((k) => typeof (ref[k] = source[k] as string) === 'string' && /^.{1,128}$/.test(ref[k])))
    return ref
}

// What makes a new page: its path and its hash route (`#/cart`, `#!/cart`), not its query. Any
// other fragment is an anchor on the page. The collector reads a hash route as the page's path.
const key = () => loc.pathname + loc.hash.replace(/^(?!#!?\/).*/, '')

let site: string | undefined
let api: string | URL

// Per page, in memory: the url of the page before this one, and the page's engagement so far.
let pagePrev: string | undefined
let path = key()
let pageUrl = loc.href
let engaged = 0
let since = 0
let scroll = 0
let sentScroll = 0

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
  const ref = doc.referrer
  const at = now()
  // 30 minutes (18e5 ms) without an event end the visit, as in every peer. Coming back from a payment
  // page within them is part of the visit: the tab kept its context (the collector never takes a
  // payment host for a source).
  if (stored && at - stored.t > 18e5) stored = 0
  if (!stored) {
    // The visit's first event: its landing. Values are cut to the schema's limits, as they are replayed.
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
  stored.t = at
  const event: Fields = Object.assign({}, fields, {
    type,
    site,
    url: loc.href,
    referrer: stored.ref,
    utm: stored.utm,
  })
  if (type === 'pageview') {
    pagePrev = stored.url
    stored.url = event.url
    // `-~` counts from an absent count: the visit's first page is 1.
    event.visit_page = stored.n = -~stored.n
    // A visit's first page says whether this browser first came on an earlier day. The browser keeps
    // that day (a day number shared by everyone who came first that day); only the one bit is sent.
    if (stored.n === 1) {
      const day = (at / 864e5) | 0
      const first = localStorage.getItem(SEEN) || day
      localStorage.setItem(SEEN, first as string)
      event.returning = (first as number) < day
      stored.e = event.url
    }
  }
  // An engagement report is of the page it measured, and says the page its visit began on (the
  // landing URL, scrubbed by the collector as any page's), so that time adds up per entry page.
  if (type === 'engagement') {
    event.url = pageUrl
    event.entry = stored.e
  }
  if (pagePrev || stored.product) event.prev = { url: pagePrev, product: stored.product }
  if (type === 'product_view') stored.product = pick(event.product, 'category') || stored.product
  if (type === 'offer_click') stored.offer = pick(event.offer, 'variant') || stored.offer
  if (/^(add_to_cart|checkout|purchase)$/.test(type) && !event.offer) event.offer = stored.offer
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
    localStorage.removeItem(SEEN)
    sessionStorage.removeItem(CONTEXT)
  } catch {}
}
tally.optIn = () => {
  try {
    localStorage.removeItem(OPT_OUT)
  } catch {}
}

// Engagement: time counts while the page is visible and focused; every focus, blur and visibility
// change closes the run so far and starts a new one if the page is still both.
const tick = () => {
  const at = now()
  if (since) engaged += at - since
  since = !doc.hidden && doc.hasFocus() ? at : 0
}
const deepest = () => {
  // The body's height (the document's, less its margins): a page scrolled to its end, or bounced past
  // it, may give a little over 100, which the collector counts as 100.
  scroll = Math.max(scroll, (((scrollY + innerHeight) * 100) / doc.body.scrollHeight) | 0)
}
const flush = () => {
  tick()
  deepest()
  if (scroll > sentScroll || engaged >= 3e3) {
    tally('engagement', { ms: engaged, scroll, scroll_from: sentScroll })
    engaged = 0
    sentScroll = scroll
  }
}

const routeChanged = () => {
  if (key() !== path) {
    flush()
    path = key()
    pageUrl = loc.href
    engaged = scroll = sentScroll = 0
    tally('pageview')
  }
}

try {
  // The pre-load stub has no optOut: its presence means this script already ran on the page.
  const existing = win.tally || ({} as Tally)
  if (!existing.optOut) {
    const script = (doc.currentScript || doc.querySelector('script[data-site]')) as HTMLScriptElement
    const data = script.dataset
    site = data.site
    api = data.api || new URL('/api/event', script.src)
    // The GA4 bridge (docs/ga4.md) is a script of its own: only pages that ask for it load it.
    if (data.ecommerce === 'ga4') import(new URL('beacon-ga4.js', script.src) as never).catch(() => {})
    const queued = existing.q || []
    win.tally = tally
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      // The rest parameter is reused to hold the result: one name less in the output.
      history[method] = (...args: unknown[]) => {
        args = original.apply(history, args as never) as never
        routeChanged()
        return args
      }
    }
    // A route change comes as either event; a hidden or left page sends what it has, a shown one
    // restarts its time. One loop per listener: the repeated loop text gzips smaller than a table of
    // [name, listener] pairs.
    for (const name of ['popstate', 'hashchange']) addEventListener(name, routeChanged)
    for (const name of ['visibilitychange', 'pagehide']) addEventListener(name, flush)
    for (const name of ['focus', 'blur']) addEventListener(name, tick)
    addEventListener('scroll', deepest)
    // Outbound links and file downloads, unless the site says `data-links="off"`.
    if (data.links !== 'off') {
      doc.addEventListener('click', (click) => {
        // Typed as found: with no link, `kind` below is null and nothing is sent.
        const link = (click.target as Element).closest('a') as HTMLAnchorElement
        const kind =
          link &&
          /^http/.test(link.href) &&
          (/\.(pdf|zip|csv|xlsx?|docx?|dmg|exe|mp[34])$/i.test(link.pathname)
            ? 'download'
            : link.host !== loc.host && 'outbound')
        if (kind) tally(kind, { link: link.href })
      })
    }
    const start = () => {
      tick()
      tally('pageview')
      // `apply` takes each queued call as the stub kept it (an array or an `arguments` object).
      for (const args of queued) tally.apply(0, args as [string, Fields])
    }
    // A speculatively prerendered page may never be seen: count it only once it is shown.
    if (doc.prerendering) doc.addEventListener('prerenderingchange', start)
    else start()
  }
} catch {}
