/** Declarations of `requests.js`, which stays plain JavaScript so that k6 can load it too. */

/** One request of one visitor, as the beacon would send it. */
export type Visit = {
  type: string
  /** The event object; `body` is its JSON. */
  event: Record<string, unknown>
  body: string
  /** Lower-case header names, including `x-forwarded-for` (the collector runs with TRUST_PROXY=1). */
  headers: Record<string, string>
  /** 202 when the collector should accept it, 204 for a visitor who opted out. */
  expect: 202 | 204
}

export type TrafficOptions = {
  site?: string
  /** The storefront's origin: page URLs and the `Origin` header. Default `https://shop.example`. */
  origin?: string
  /** Distinct fake visitors (IP and user agent pairs). Default 20,000. */
  visitors?: number
  seed?: number
  /** Share of visitors who send `Sec-GPC: 1`. The beacon itself sends nothing then, so default 0. */
  optOutShare?: number
  /** Weight of each event type; default `EVENT_MIX`. */
  mix?: Record<string, number>
}

export type Traffic = { next(): Visit }

export const EVENT_MIX: Record<string, number>
export const ALL_USER_AGENTS: string[]
export function createTraffic(options?: TrafficOptions): Traffic
export function trafficPool(size: number, options?: TrafficOptions): Visit[]
