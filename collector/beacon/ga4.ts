/**
 * The GA4 bridge, served as `/beacon-ga4.js` and loaded by the beacon only when its script tag says
 * `data-ecommerce="ga4"`, so the default beacon carries none of it. It reads the page's
 * `dataLayer` (or the one `data-datalayer` names): the messages already in it, and every later
 * push, and hands each e-commerce event to `tally()`, which applies opt-out, the tab's context and
 * sending exactly as for a hand-written call.
 *
 * On a real page it must never get in the way: the page's own `push` runs first and its result is
 * returned; any error of ours is swallowed; and when a tag manager later assigns its own
 * `dataLayer.push` (Google Tag Manager does), the assignment is wrapped the same way, each message
 * being read once however many wrappers it passes through.
 *
 * A purchase or refund pushed again in the same tab (a reloaded thank-you page, two tags) counts
 * once: a hash of its transaction id is kept in sessionStorage, in this tab only, and the id itself
 * is never sent nor stored.
 */
import { toCalls } from './ga4-map.ts'

type Push = (...items: unknown[]) => unknown
type Layer = unknown[] & { push: Push }
type Win = Window & { tally?: (type: string, fields?: object) => void } & Record<string, unknown>

const win = window as unknown as Win
const nav = navigator as Navigator & { globalPrivacyControl?: boolean }
const ORDERS = 'tally:orders'
const seen = new WeakSet<object>()

// The beacon's own opt-out rules, checked before anything is remembered for the tab.
const optedOut = () =>
  nav.globalPrivacyControl ||
  nav.doNotTrack === '1' ||
  nav.webdriver ||
  localStorage.getItem('tally:optout') === '1'

// FNV-1a: the tab needs only to recognise an order again, not to read its id back.
const hash = (text: string) => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(36)
}

/** True the first time this tab sees `order`; remembers it. */
const firstTime = (order: string) => {
  const known: string[] = JSON.parse(sessionStorage.getItem(ORDERS) || '[]')
  const key = hash(order)
  if (known.indexOf(key) >= 0) return false
  known.push(key)
  sessionStorage.setItem(ORDERS, JSON.stringify(known.slice(-50)))
  return true
}

const read = (message: unknown) => {
  try {
    if (!message || typeof message !== 'object' || seen.has(message)) return
    seen.add(message)
    const tally = win.tally
    if (!tally || optedOut()) return
    for (const call of toCalls(message)) {
      if (!call.order || firstTime(call.order)) tally(call.type, call.fields)
    }
  } catch {}
}

// The page's push first, its result returned; then each pushed message is read.
const wrap = (push: Push): Push =>
  function (this: unknown, ...items: unknown[]) {
    const result = push.apply(this, items)
    for (const item of items) read(item)
    return result
  }

try {
  const script = document.querySelector('script[data-ecommerce]') as HTMLScriptElement | null
  const name = script?.dataset.datalayer || 'dataLayer'
  // Created when missing, as the Tag Manager and gtag snippets do, so pushes made after this still count.
  win[name] = win[name] || []
  const layer = win[name] as Layer
  const existing = layer.slice()
  let current = wrap(layer.push)
  // A tag manager that assigns its own push later gets it wrapped too, instead of replacing ours.
  Object.defineProperty(layer, 'push', {
    configurable: true,
    get: () => current,
    set: (push: Push) => {
      current = typeof push === 'function' ? wrap(push) : push
    },
  })
  for (const message of existing) read(message)
} catch {}
