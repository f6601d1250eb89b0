// @ts-check
/**
 * A storefront's traffic as the collector sees it: the beacon's single events (pageviews, product
 * views, carts, checkouts, purchases, searches, offers, custom events), sent with `sendBeacon`'s
 * headers by many distinct visitors behind one reverse proxy (`X-Forwarded-For`), each with a normal
 * browser user agent and a tab context (`prev`, the last offer clicked) that evolves as it browses.
 *
 * Plain JavaScript importing only the model's `random.js` and no runtime API beyond the language,
 * so that k6 (`load/ingest.js`) and Node (`load/run.ts`, `load/bench.ts`) generate the same mix.
 * Seeded, so a run can be repeated request for request. Where the demo (`visit.ts`) plays whole
 * visits over weeks of history with a known best offer, this plays a request mix at load.
 */

import { createRandom, oneOf as pick, pick as pickWeighted } from './random.js'
import {
  BLOG,
  CATEGORIES,
  CUSTOM,
  LANDINGS,
  OFFERS,
  PRODUCTS_PER_CATEGORY,
  SEARCHES,
  VARIANTS,
} from './request-catalogue.js'
import { LANGUAGES, range, USER_AGENTS } from './user-agents.js'

export { ALL_USER_AGENTS } from './user-agents.js'

/** @typedef {import('./requests.d.ts').Visit} Visit */
/** @typedef {import('./requests.d.ts').TrafficOptions} TrafficOptions */
/** @typedef {import('./requests.d.ts').Traffic} Traffic */

/** Share of each event type in the mix, in percent. */
export const EVENT_MIX = {
  pageview: 40,
  product_view: 22,
  search: 6,
  add_to_cart: 6,
  remove_from_cart: 1,
  checkout: 2.5,
  purchase: 1.5,
  offer_impression: 14,
  offer_click: 3,
  custom: 4,
}

/**
 * A drawer of `table`'s values, each as likely as its weight.
 * @template T
 * @param {() => number} random
 * @param {Array<[number, T]>} table
 * @returns {() => T}
 */
function weighted(random, table) {
  /** @type {Array<[T, number]>} */
  const byValue = table.map(([weight, value]) => [value, weight])
  return () => pickWeighted(random, byValue)
}

/**
 * A public IPv4 address, outside private, shared, loopback, link-local, test and multicast ranges.
 * @param {() => number} random
 */
function publicIp(random) {
  for (;;) {
    const a = 1 + Math.floor(random() * 222)
    const b = Math.floor(random() * 256)
    if (a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254)) continue
    if ((a === 172 && b >= 16 && b < 32) || (a === 192 && (b === 168 || b === 0)) || a === 198 || a === 203)
      continue
    return `${a}.${b}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`
  }
}

/** @param {number} value */
const round2 = (value) => Math.round(value * 100) / 100

/**
 * The traffic of `visitors` distinct fake visitors. Each `next()` is one request of one visitor,
 * continuing where that visitor's previous request left off.
 * @param {TrafficOptions} [options]
 * @returns {Traffic}
 */
export function createTraffic(options = {}) {
  const site = options.site ?? 'demo'
  const origin = (options.origin ?? 'https://shop.example').replace(/\/$/, '')
  const random = createRandom(options.seed ?? 1)
  const visitorCount = options.visitors ?? 20_000
  const optOutShare = options.optOutShare ?? 0
  const mix = /** @type {Array<[number, string]>} */ (
    Object.entries(options.mix ?? EVENT_MIX).map(([type, weight]) => [weight, type])
  )
  const nextType = weighted(random, mix)
  const nextUa = weighted(
    random,
    USER_AGENTS.map(([weight, list]) => [weight, list]),
  )
  const nextLanding = weighted(
    random,
    LANDINGS.map(([weight, referrer, query]) => [weight, { referrer, query }]),
  )
  const nextLanguage = weighted(random, LANGUAGES)

  const products = CATEGORIES.flatMap((category, c) =>
    range(1, PRODUCTS_PER_CATEGORY).map((n) => ({
      id: `${category.slice(0, 3)}-${1000 + n}`,
      category,
      slug: `${category}-${n}`,
      price: round2(4.9 + ((c * 37 + n * 13) % 190) + 0.99),
    })),
  )
  // Popularity is skewed: a few products get most of the views, as in any shop.
  const popularProduct = () =>
    /** @type {(typeof products)[number]} */ (products[Math.floor(products.length * random() ** 2.2)])

  /**
   * @typedef {{ id: string, category: string, slug: string, price: number }} Product
   * @typedef {{ ip: string, ua: string, language: string, optOut: boolean, landing: { referrer: string | undefined, query: string },
   *   page: string | undefined, pagePrev: string | undefined, referrer: string | undefined,
   *   product: { id: string, category: string } | undefined, offer: { id: string, variant: string } | undefined,
   *   cart: Product[] }} Visitor
   * @type {Visitor[]}
   */
  const visitors = []
  const visitor = () => {
    const index = Math.floor(random() * visitorCount)
    let found = visitors[index]
    if (!found) {
      found = {
        ip: publicIp(random),
        ua: pick(random, nextUa()),
        language: nextLanguage(),
        optOut: random() < optOutShare,
        landing: nextLanding(),
        page: undefined,
        pagePrev: undefined,
        referrer: undefined,
        product: undefined,
        offer: undefined,
        cart: [],
      }
      visitors[index] = found
    }
    return found
  }

  /**
   * Moves the tab to `path` unless it is already there, as the beacon sees it: the first page
   * carries the landing query (campaign tags, click ids) and the external referrer, later pages
   * have the page before as referrer and as `prev.url`.
   * @param {Visitor} who
   * @param {string | undefined} path undefined: stay on the current page
   */
  const visit = (who, path) => {
    if (who.page === undefined) {
      const query = who.landing.query
      const first = path ?? '/'
      who.page = `${origin}${first}${query && first.includes('?') ? `&${query.slice(1)}` : query}`
      who.referrer = who.landing.referrer
    } else if (path !== undefined && who.page !== `${origin}${path}`) {
      who.pagePrev = who.page
      who.referrer = who.page
      who.page = `${origin}${path}`
    }
    return who.page
  }

  /** @param {number} roll */
  const pagePath = (roll) => {
    if (roll < 0.2) return '/'
    if (roll < 0.45) return `/c/${pick(random, CATEGORIES)}${random() < 0.2 ? '?sort=price&page=2' : ''}`
    if (roll < 0.75) return `/p/${popularProduct().slug}`
    if (roll < 0.82) return '/cart'
    if (roll < 0.87) return `/blog/${pick(random, BLOG)}`
    if (roll < 0.92) return '/account'
    if (roll < 0.96) return `/orders/${1_000_000 + Math.floor(random() * 8_999_999)}`
    return `/account/reset?email=visitor${Math.floor(random() * 1000)}@mail.example`
  }

  /** @param {Array<{ price: number, quantity: number }>} items */
  const orderOf = (items) => ({
    revenue: round2(items.reduce((sum, item) => sum + item.price * item.quantity, 0)),
    currency: 'EUR',
    items,
  })

  /** @param {string} id */
  const productById = (id) => products.find((p) => p.id === id)

  return {
    next() {
      const who = visitor()
      const type = nextType()
      /** @type {Record<string, unknown>} */
      const fields = {}
      /** @type {string | undefined} */
      let path
      switch (type) {
        case 'pageview':
          path = pagePath(random())
          break
        case 'product_view':
        case 'add_to_cart': {
          // Most carts take the product just viewed.
          const viewed =
            who.product && type === 'add_to_cart' && random() < 0.8 ? productById(who.product.id) : undefined
          const chosen = viewed ?? popularProduct()
          path = `/p/${chosen.slug}`
          fields.product = { id: chosen.id, category: chosen.category, price: chosen.price }
          if (type === 'add_to_cart') {
            const quantity = random() < 0.85 ? 1 : 2
            fields.product = { id: chosen.id, category: chosen.category, price: chosen.price, quantity }
            who.cart.push(chosen)
          }
          break
        }
        case 'remove_from_cart': {
          const chosen = who.cart.pop() ?? popularProduct()
          path = '/cart'
          fields.product = { id: chosen.id, category: chosen.category, price: chosen.price }
          break
        }
        case 'checkout':
        case 'purchase': {
          const items = (who.cart.length > 0 ? who.cart : [popularProduct()])
            .slice(0, 5)
            .map((p) => ({ id: p.id, category: p.category, price: p.price, quantity: 1 }))
          path = type === 'checkout' ? '/checkout' : '/checkout/confirmation'
          if (type === 'purchase' || random() < 0.7) fields.order = orderOf(items)
          if (type === 'purchase') who.cart = []
          break
        }
        case 'search': {
          const query = pick(random, SEARCHES)
          path = `/search?q=${encodeURIComponent(query).replace(/%20/g, '+')}`
          fields.search = { query, results: query === 'xyzzy' ? 0 : 1 + Math.floor(random() * 60) }
          break
        }
        case 'offer_impression':
        case 'offer_click': {
          const offer = { id: pick(random, OFFERS), variant: pick(random, VARIANTS) }
          fields.offer = offer
          break
        }
        default: {
          const custom = pick(random, CUSTOM)
          fields.name = custom.name
          if (Object.keys(custom.props).length > 0) fields.props = custom.props
        }
      }

      // The beacon's shape: the fields, then type, site, url and referrer, then the tab context.
      const url = visit(who, path)
      /** @type {Record<string, unknown>} */
      const event = { ...fields, type, site, url }
      if (who.referrer !== undefined) event.referrer = who.referrer
      if (who.pagePrev || who.product) {
        event.prev = {
          ...(who.pagePrev ? { url: who.pagePrev } : {}),
          ...(who.product ? { product: who.product } : {}),
        }
      }
      if (
        (type === 'add_to_cart' || type === 'checkout' || type === 'purchase') &&
        who.offer &&
        !event.offer
      ) {
        event.offer = who.offer
      }
      if (type === 'product_view') {
        const viewed = /** @type {{ id: string, category: string }} */ (fields.product)
        who.product = { id: viewed.id, category: viewed.category }
      }
      if (type === 'offer_click') who.offer = /** @type {{ id: string, variant: string }} */ (fields.offer)

      /** @type {Record<string, string>} */
      const headers = {
        'content-type': 'text/plain;charset=UTF-8',
        origin,
        referer: `${origin}/`,
        'user-agent': who.ua,
        accept: '*/*',
        'accept-language': who.language,
        'accept-encoding': 'gzip, deflate, br, zstd',
        'sec-fetch-dest': 'empty',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-site': 'cross-site',
        'x-forwarded-for': who.ip,
      }
      if (who.optOut) headers['sec-gpc'] = '1'
      return { type, event, body: JSON.stringify(event), headers, expect: who.optOut ? 204 : 202 }
    },
  }
}

/**
 * A pool of `size` requests, for clients that cycle through prepared requests instead of
 * generating each one while measuring.
 * @param {number} size
 * @param {TrafficOptions} [options]
 * @returns {Visit[]}
 */
export function trafficPool(size, options) {
  const traffic = createTraffic(options)
  return Array.from({ length: size }, () => traffic.next())
}
