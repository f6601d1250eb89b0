import { utcHour } from '../core/clock.ts'
import type { Event, ProductRef } from '../schemas/events.ts'
import { type EventRow, emptyRow } from '../schemas/row.ts'
import { isBot } from './bots.ts'
import type { UaClass } from './coarsen.ts'
import { hashRoute } from './hash-route.ts'
import { cleanLabel } from './labels.ts'
import { type HeaderReader, isOptedOut } from './opt-out.ts'
import { referrerHost, type ScrubbedUrl, scrubText, scrubUrl, scrubUtmTags } from './scrub.ts'
import { isSecretName } from './secrets.ts'
import { classifySource, DEFAULT_PAYMENT_HOSTS, visitReferrer } from './sources.ts'
import { visitorHash } from './visitor-hash.ts'
import { describeVisit } from './visits.ts'

/**
 * The privacy pipeline, in order. Request steps look only at headers and run before the body
 * is read; event steps turn one validated event into an `EventRow`. Every step is a pure
 * function, and every drop has a typed reason that the collector counts.
 *
 *   request: 1. opt-out  2. bots
 *   body:    3. validate (the route, with the shared zod schemas)
 *   event:   4. site  5. scrub  6. identify  7. coarsen  -> row for the write buffer
 *
 * The IP and the user-agent string live only in `RequestFacts`: step 6 hashes them, step 7
 * classifies them, and no row field can hold them.
 */

export type DropReason =
  | 'opt_out'
  | 'bot'
  | 'invalid'
  | 'unknown_site'
  | 'origin'
  | 'bad_url'
  | 'overloaded'
  | 'unavailable'
  | 'contribution_bound'
export const DROP_REASONS: DropReason[] = [
  'opt_out',
  'bot',
  'invalid',
  'unknown_site',
  'origin',
  'bad_url',
  'overloaded',
  'unavailable',
  'contribution_bound',
]

export type RequestFacts = {
  headers: HeaderReader
  ip: string
  userAgent: string
  /** The `Origin` header, when the browser sent one. */
  origin: string | undefined
  now: Date
}

export type PipelineDeps = {
  sites: ReadonlyMap<string, readonly string[]>
  queryParams: ReadonlyMap<string, ReadonlySet<string>>
  classifyUa: (userAgent: string) => UaClass
  lookupCountry: (ip: string, headers: HeaderReader) => string
  /** Step 5 for URLs; `scrubUrl` itself unless the collector gives one that remembers (scrub-cache.ts). */
  scrubUrl?: typeof scrubUrl
  /** Per site, the payment hosts whose return continues a visit; DEFAULT_PAYMENT_HOSTS otherwise. */
  paymentHosts?: ReadonlyMap<string, readonly string[]>
}

export type Dropped = { drop: DropReason; field?: string }
const dropped = (drop: DropReason, field?: string): Dropped => (field ? { drop, field } : { drop })

// --- request steps ---------------------------------------------------------------------------

export const REQUEST_STEPS: ReadonlyArray<(request: RequestFacts) => Dropped | undefined> = [
  function optOut(request) {
    return isOptedOut(request.headers) ? dropped('opt_out') : undefined
  },
  function bots(request) {
    return isBot(request.userAgent) ? dropped('bot') : undefined
  },
]

export function screenRequest(request: RequestFacts): Dropped | undefined {
  for (const step of REQUEST_STEPS) {
    const result = step(request)
    if (result) return result
  }
  return undefined
}

// --- event steps -----------------------------------------------------------------------------

const NO_PARAMS: ReadonlySet<string> = new Set()
// A search without a result count (GA4's): stored as the largest UInt32, so that the rollups'
// `search_results = 0` never counts it as a search that found nothing.
export const UNKNOWN_RESULTS = 4_294_967_295

export function createEventPipeline(deps: PipelineDeps) {
  // The hosts of each site's own origins: a referrer from any of them is no referral.
  const siteHosts = new Map(
    [...deps.sites].map(([site, origins]) => [site, origins.map((origin) => new URL(origin).hostname)]),
  )
  const scrub = deps.scrubUrl ?? scrubUrl
  return function processEvent(event: Event, request: RequestFacts, salt: Uint8Array): EventRow | Dropped {
    const site = checkSite(event, request, deps.sites)
    if (site) return site
    const keep = deps.queryParams.get(event.site) ?? NO_PARAMS
    const page = scrub(hashRoute(event.url), keep)
    if (!page) return dropped('bad_url', 'url')
    const visitor = visitorHash(salt, event.site, request.ip, request.userAgent)
    const ua = deps.classifyUa(request.userAgent)
    const referrer = visitReferrer({
      referrerHost: referrerHost(event.referrer),
      pageHost: page.host,
      siteHosts: siteHosts.get(event.site) ?? [],
      paymentHosts: deps.paymentHosts?.get(event.site) ?? DEFAULT_PAYMENT_HOSTS,
    })
    // A page's own campaign tags win; without them the event carries the tab's landing campaign.
    const utm = page.utm.source || page.utm.medium || page.utm.campaign ? page.utm : scrubUtmTags(event.utm)
    // One row of the row's own shape, filled in place: spreading partial objects into it cost a
    // new object and a copy of every field per step.
    const row = emptyRow()
    describeEvent(event, row)
    Object.assign(row, describeVisit(event, keep))
    row.hour = utcHour(request.now)
    row.site = event.site
    row.type = event.type
    row.visitor = visitor
    row.path = page.path
    row.referrer_host = referrer
    row.utm_source = utm.source
    row.utm_medium = utm.medium
    row.utm_campaign = utm.campaign
    row.source = classifySource({
      referrerHost: referrer,
      pageHost: page.host,
      utmSource: utm.source,
      utmMedium: utm.medium,
    })
    row.device = ua.device
    row.browser = ua.browser
    row.os = ua.os
    row.country = deps.lookupCountry(request.ip, request.headers)
    row.prev_path = pagePath(event.prev?.url, keep, scrub)
    // The visit's entry page of an engagement report: the same scrub as the page's own path.
    if (event.type === 'engagement') row.entry_path = pagePath(event.entry, keep, scrub)
    return row
  }
}

/** Step 4: the site must be configured, and a browser's Origin must be one of its origins. */
function checkSite(event: Event, request: RequestFacts, sites: PipelineDeps['sites']): Dropped | undefined {
  const origins = sites.get(event.site)
  if (!origins) return dropped('unknown_site', 'site')
  if (request.origin !== undefined && !origins.includes(request.origin)) return dropped('origin', 'site')
  return undefined
}

/**
 * Step 5 for a page named by another event (the page before, a visit's entry page): scrubbed
 * exactly as the event's own page is, or '' when absent or not a page URL.
 */
function pagePath(url: string | undefined, keep: ReadonlySet<string>, scrub: typeof scrubUrl): string {
  if (!url) return ''
  const page: ScrubbedUrl | null = scrub(hashRoute(url), keep)
  return page?.path ?? ''
}

/** Step 5 for the type-specific fields: ids and labels, orders, search terms and properties, into `fields`. */
function describeEvent(event: Event, fields: EventRow): void {
  const prevProduct = event.prev?.product
  if (prevProduct) {
    fields.prev_product_id = cleanLabel(prevProduct.id)
    fields.prev_category = cleanLabel(prevProduct.category)
  }
  if (event.offer) {
    fields.offer_id = cleanLabel(event.offer.id)
    fields.offer_variant = cleanLabel(event.offer.variant)
  }
  let interest: ProductRef | undefined = prevProduct
  switch (event.type) {
    case 'product_view':
    case 'add_to_cart':
    case 'remove_from_cart':
      fields.product_id = cleanLabel(event.product.id)
      fields.price = event.product.price ?? 0
      fields.quantity = event.product.quantity ?? 1
      interest = event.product
      break
    case 'checkout':
    case 'shipping_info':
    case 'payment_info':
    case 'purchase':
    case 'refund': {
      const order = event.order
      if (order) {
        // A refund's value is stored negated, so every rollup that sums revenue nets it out.
        fields.revenue = event.type === 'refund' ? -order.revenue : order.revenue
        fields.currency = order.currency
        fields.item_ids = order.items.map((item) => cleanLabel(item.id))
        fields.item_categories = order.items.map((item) => cleanLabel(item.category))
        fields.item_prices = order.items.map((item) => item.price)
        fields.item_quantities = order.items.map((item) => item.quantity)
        interest = order.items[0] ?? interest
      }
      break
    }
    case 'search':
      fields.search_query = scrubText(event.search.query).toLowerCase().slice(0, 128)
      fields.search_results = event.search.results ?? UNKNOWN_RESULTS
      break
    case 'custom': {
      fields.name = cleanLabel(event.name)
      const props = Object.entries(event.props ?? {})
        // A property named like a credential holds one, whatever its value looks like.
        .map(([key, value]) => [scrubText(key), isSecretName(key) ? '' : scrubText(String(value))] as const)
        .filter(([key]) => key !== '')
      fields.prop_keys = props.map(([key]) => key)
      fields.prop_values = props.map(([, value]) => value)
      break
    }
  }
  fields.category = interest ? cleanLabel(interest.category) : ''
}
