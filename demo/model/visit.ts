/**
 * A synthetic storefront for `npm run demo`: a car-parts shop whose visitors arrive from search,
 * social, e-mail, ads or directly, on desktops, phones and tablets, from a handful of countries,
 * browse products that lead to one another, search (sometimes for what the shop lacks), buy, and
 * see one of three variants of the home-page offer. Each variant has a TRUE conversion rate per
 * segment (device × source, nudged by country), so the insights can be checked against the truth.
 *
 * Pure and seeded: the same seed gives the same visits, event for event, as the beacon would send
 * them (`prev` context, the clicked offer carried to carts and orders).
 */

import { BUY_AFTER_CLICK, clickRate, OFFER_ID, VARIANTS, type Variant } from './offer-truth.ts'
import { createRandom, oneOf, pick, type Random } from './random.js'
import { byId, COMPANIONS, INTEREST, inCategory, PRODUCTS, type Product, SEARCHES } from './shop.ts'
import { ARRIVALS, COUNTRIES, DEVICES, type Device, SOURCES, type Source, USER_AGENTS } from './visitors.ts'

export type Visit = {
  device: Device
  country: string
  source: Source
  headers: Record<string, string>
  events: Record<string, unknown>[]
  /** The offer variant shown, if any, the source it was recorded under, and what followed. */
  offer?: { variant: Variant; clicked: boolean; converted: boolean; source: Source }
  /** The truth the dashboard's visit figures are checked against: pages seen, engaged time. */
  truth: { pages: number; engagedMs: number }
}

// Links out of the shop, files and a page that no longer exists, with the share of visits that
// click or land on them.
const OUTBOUND = [
  'https://www.brembo.com/en/car/brake-pads',
  'https://www.youtube.com/watch?v=pads',
  'https://www.adac.de/',
]
const FILES = ['/files/fitting-guide.pdf', '/files/catalogue-2026.pdf', '/files/torque-table.csv']
const GONE = ['/old-sale', '/p/discontinued-kit', '/blog/winter-tyres-2019']

type Ref = { id: string; category: string }

/**
 * One visitor's events, in the order the beacon sends them, with the tab context it keeps:
 * `prev` (the previous page and the last product viewed) and the last clicked offer on carts
 * and orders. `ip` makes the visitor distinct (the demo plays the reverse proxy in front of the
 * collector, which is why it may set `X-Forwarded-For` and the country header).
 */
export function createVisit(options: {
  random: Random
  origin: string
  site: string
  ip: string
  optOutShare?: number
}): Visit {
  const { random, origin, site } = options
  const device = pick(random, DEVICES)
  const country = pick(random, COUNTRIES)
  const source = pick(random, SOURCES)
  const arrival = pick(random, ARRIVALS[source])
  const headers: Record<string, string> = {
    'content-type': 'text/plain;charset=UTF-8',
    'user-agent': pick(random, USER_AGENTS[device]),
    'x-forwarded-for': options.ip,
    'cf-ipcountry': country,
    origin,
  }
  if (random() < (options.optOutShare ?? 0.02)) headers['sec-gpc'] = '1'

  const events: Record<string, unknown>[] = []
  let previousUrl: string | undefined
  let lastProduct: Ref | undefined
  let clickedOffer: { id: string; variant: string } | undefined
  // The visit's landing, as the beacon keeps it for the tab: another site's referrer and the landing
  // URL's campaign tags go with every event of the visit.
  const referrer: string | undefined = arrival.referrer
  const landingTags = new URLSearchParams(arrival.utm ?? '')
  const utm = Object.fromEntries(
    (['source', 'medium', 'campaign'] as const)
      .map((key) => [key, landingTags.get(`utm_${key}`) ?? ''] as const)
      .filter(([, value]) => value !== ''),
  )
  let currentUrl = ''
  // The visit's landing URL, which the beacon sends with each engagement report (its entry page).
  let landingUrl = ''
  let pages = 0
  let engagedMs = 0
  // Engagement, links and 404s draw from a stream of their own, seeded by the visitor, so that the
  // shop's main stream (sources, products, the offer test) is what it was without them.
  const extra = createRandom(
    [...options.ip].reduce((hash, char) => Math.imul(hash ^ char.charCodeAt(0), 16_777_619), 2_166_136_261),
  )
  const context = () =>
    previousUrl || lastProduct ? { prev: { url: previousUrl, product: lastProduct } } : {}
  const send = (type: string, fields: Record<string, unknown> = {}) => {
    const event: Record<string, unknown> = { type, site, url: currentUrl, ...fields }
    if (referrer) event.referrer = referrer
    if (Object.keys(utm).length > 0) event.utm = utm
    Object.assign(event, context())
    if (/^(add_to_cart|checkout|purchase)$/.test(type) && clickedOffer && !event.offer)
      event.offer = clickedOffer
    events.push(JSON.parse(JSON.stringify(event)))
  }
  // What the beacon reports as a page is left: seconds read (visible and focused) and how far down.
  // Short glances (under 3 s, no scroll) send nothing, as the beacon does.
  const leave = () => {
    if (!currentUrl || events.length >= 45) return
    const ms = Math.min(600_000, Math.round(-Math.log(1 - extra()) * 22_000))
    const scroll = Math.min(100, 20 + Math.floor(extra() * 90))
    if (ms < 3_000 && scroll <= 20) return
    engagedMs += ms
    send('engagement', { ms, scroll, scroll_from: 0, entry: landingUrl })
  }
  const visit = (path: string) => {
    const url = `${origin}${path}`
    leave()
    if (currentUrl) previousUrl = currentUrl
    currentUrl = url
    landingUrl ||= url
    pages++
    send('pageview', pages === 1 ? { visit_page: 1, returning: extra() < 0.28 } : { visit_page: pages })
  }
  // Links out and files, clicked on the page the visit is on.
  const clicks = () => {
    if (extra() < 0.05) send('outbound', { link: oneOf(extra, OUTBOUND) })
    if (extra() < 0.04) send('download', { link: `${origin}${oneOf(extra, FILES)}` })
  }
  const done = (offer?: Visit['offer']): Visit => {
    clicks()
    leave()
    return {
      device,
      country,
      source,
      headers,
      events,
      ...(offer ? { offer } : {}),
      truth: { pages, engagedMs },
    }
  }

  // A few visits land on a page that is gone (an old link): the shop's 404 page, and most leave.
  if (extra() < 0.02) {
    visit(oneOf(extra, GONE))
    send('not_found')
    if (extra() < 0.7) return done()
  }
  const viewProduct = (product: Product) => {
    visit(`/p/${product.id}`)
    send('product_view', { product: { id: product.id, category: product.category, price: product.price } })
    lastProduct = { id: product.id, category: product.category }
  }

  // Landing: campaigns, search results and posts mostly link to a product; the rest start at the
  // home page or a category.
  const interest = source === 'paid' ? (random() < 0.6 ? 'brakes' : 'tyres') : pick(random, INTEREST)
  const tags = arrival.utm ? `?${arrival.utm}` : ''
  const first = oneOf(random, inCategory(interest))
  const onProduct = source !== 'direct' && random() < 0.65
  if (onProduct) {
    visit(`/p/${first.id}${tags}`)
    send('product_view', { product: { id: first.id, category: first.category, price: first.price } })
    lastProduct = { id: first.id, category: first.category }
  } else {
    visit(random() < 0.75 ? `/${tags}` : `/c/${interest}${tags}`)
    // Some leave from the first page.
    if (random() < 0.3) return done()
    viewProduct(first)
  }
  // Every event of the visit carries its landing's referrer and campaign, so the collector files
  // them all under the visit's source.
  const recorded: Source = source

  // The offer banner on the first product page: one of three variants. Its call to action is an
  // express checkout on the same page, so the impression, the click and the order share the
  // page's source and its product's category, the segment the insights credit them to.
  let offer: Visit['offer']
  if (random() < 0.9) {
    const variant = oneOf(random, VARIANTS)
    send('offer_impression', { offer: { id: OFFER_ID, variant } })
    const clicked = random() < clickRate(variant, device, recorded, country)
    offer = { variant, clicked, converted: false, source: recorded }
    if (clicked) {
      send('offer_click', { offer: { id: OFFER_ID, variant } })
      clickedOffer = { id: OFFER_ID, variant }
      if (random() < BUY_AFTER_CLICK) {
        const quantity = random() < 0.2 ? 2 : 1
        const line = { id: first.id, category: first.category, price: first.price, quantity }
        const order = { revenue: round(first.price * quantity), currency: 'EUR', items: [line] }
        send('add_to_cart', { product: line })
        send('checkout', { order })
        send('purchase', { order })
        offer.converted = true
        return done(offer)
      }
    }
  }

  // Browsing: products that lead to one another, sometimes a search.
  if (random() < 0.18) {
    const [query, results] = pick(
      random,
      SEARCHES.map(([term, found, weight]) => [[term, found] as const, weight] as const),
    )
    visit('/search')
    send('search', { search: { query, results } })
    if (results > 0 && random() < 0.7) viewProduct(oneOf(random, inCategory(interest)))
  }
  let views = 1
  const wanted = Math.floor(-Math.log(1 - random()) * 2.2) + (random() < 0.75 ? 1 : 0)
  const cart: { id: string; category: string; price: number; quantity: number }[] = []
  while (views < wanted && views < 12) {
    const companions = lastProduct ? (COMPANIONS[lastProduct.id] ?? []) : []
    const roll = random()
    const next =
      companions.length > 0 && roll < 0.55
        ? (byId.get(oneOf(random, companions)) as Product)
        : roll < 0.85
          ? oneOf(random, inCategory(interest))
          : oneOf(random, PRODUCTS)
    viewProduct(next)
    views++
    // Clicked-offer visitors who did not buy on the offer stay out of the cart, so that every
    // purchase credited to the offer is one the offer's true rate accounts for.
    if (!clickedOffer && random() < 0.11) {
      const line = { id: next.id, category: next.category, price: next.price, quantity: 1 }
      cart.push(line)
      send('add_to_cart', { product: line })
      if (random() < 0.12) {
        send('remove_from_cart', { product: line })
        cart.pop()
      }
    }
  }
  if (cart.length > 0 && random() < 0.55) {
    const order = {
      revenue: round(cart.reduce((sum, line) => sum + line.price * line.quantity, 0)),
      currency: 'EUR',
      items: cart,
    }
    visit('/checkout')
    send('checkout', { order })
    if (random() < 0.78) {
      visit('/thanks')
      send('purchase', { order })
    }
  }
  if (random() < 0.03)
    send('custom', {
      name: 'newsletter_signup',
      props: { placement: random() < 0.5 ? 'footer' : 'checkout' },
    })
  return done(offer)
}

const round = (value: number) => Math.round(value * 100) / 100
