import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { AnswerMeta } from '../../api/answer-meta.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { CHROME_UA, postEvents } from '../support/http.ts'
import { startService, type TestService } from '../support/service.ts'

export const DASHBOARD_TOKEN = 'dashboard-token-for-tests-0123456789'
export const API_TOKEN = 'api-token-for-tests-0123456789abcdef'
export const SHOP = 'https://shop.example'
export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

export type ReadService = TestService & {
  /** Moves the collector's clock: events are stamped with this time. */
  setNow(iso: string): void
}

/**
 * The real service, read API included, on a real socket over the test's warehouse: events go in
 * through the collector exactly as in production (TRUST_PROXY=1 so a test can be many visitors)
 * and come out through `/api/stats` and `/api/v1`. The collector's clock is the test's.
 */
export async function startReadService(
  warehouse: Warehouse,
  env: Record<string, string> = {},
): Promise<ReadService> {
  // DATA_DIR holds the collector's write-ahead log and any generated token files.
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-read-'))
  let now = new Date('2026-03-10T10:00:00Z')
  const service = await startService(
    warehouse,
    { SITES: `shop=${SHOP}`, TRUST_PROXY: '1', DATA_DIR: dataDir, DASHBOARD_TOKEN, API_TOKEN, ...env },
    { now: () => now },
  )
  return {
    ...service,
    setNow: (iso) => {
      now = new Date(iso)
    },
    close: async () => {
      await service.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** One visitor as the collector tells them apart: an address (behind the trusted proxy) and a browser. */
export type Person = { ip: string; ua?: string; country?: string }

/** Sends `events` as `person`, expecting the collector to accept them all. */
export async function send(url: string, person: Person, events: object[]): Promise<void> {
  const headers: Record<string, string> = {
    'x-forwarded-for': person.ip,
    'user-agent': person.ua ?? CHROME_UA,
  }
  if (person.country) headers['cf-ipcountry'] = person.country
  const response = await postEvents(url, { events }, headers)
  if (response.status !== 202)
    throw new Error(`collector answered ${response.status}: ${JSON.stringify(response.json)}`)
}

export type Answer<Body = Record<string, unknown>> = { status: number; body: Body; headers: Headers }

let reads = 0

/** GET with a bearer token (the dashboard's unless told otherwise), parsed as JSON. */
export async function read<Body = Record<string, unknown>>(
  url: string,
  path: string,
  token: string | null = DASHBOARD_TOKEN,
): Promise<Answer<Body>> {
  // Each read comes from an address of its own (the services here trust the proxy), so the tests
  // that send many wrong tokens on purpose meet the 401 they check, not the failure throttle
  // (which bearer-throttle.test.ts checks).
  const from = { 'x-forwarded-for': `198.18.${(++reads >> 8) & 255}.${reads & 255}` }
  const response = await fetch(
    `${url}${path}`,
    token ? { headers: { authorization: `Bearer ${token}`, ...from } } : { headers: from },
  )
  const text = await response.text()
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as Body,
    headers: response.headers,
  }
}

/** Event builders for the shop. */
export const ev = {
  pageview: (path: string, extra: object = {}) => ({
    type: 'pageview',
    site: 'shop',
    url: `${SHOP}${path}`,
    ...extra,
  }),
  productView: (id: string, category: string, prev?: { id: string; category: string }) => ({
    type: 'product_view',
    site: 'shop',
    url: `${SHOP}/p/${id}`,
    product: { id, category, price: 10 },
    ...(prev ? { prev: { product: prev } } : {}),
  }),
  addToCart: (id: string, category: string, offer?: { id: string; variant: string }) => ({
    type: 'add_to_cart',
    site: 'shop',
    url: `${SHOP}/p/${id}`,
    product: { id, category, price: 10 },
    ...(offer ? { offer } : {}),
  }),
  checkout: (items: Array<{ id: string; category: string; price: number; quantity: number }>) => ({
    type: 'checkout',
    site: 'shop',
    url: `${SHOP}/checkout`,
    order: { revenue: revenueOf(items), currency: 'EUR', items },
  }),
  purchase: (
    items: Array<{ id: string; category: string; price: number; quantity: number }>,
    offer?: { id: string; variant: string },
  ) => ({
    type: 'purchase',
    site: 'shop',
    url: `${SHOP}/thanks`,
    order: { revenue: revenueOf(items), currency: 'EUR', items },
    ...(offer ? { offer } : {}),
  }),
  search: (query: string, results: number) => ({
    type: 'search',
    site: 'shop',
    url: `${SHOP}/search`,
    search: { query, results },
  }),
  offer: (type: 'offer_impression' | 'offer_click', id: string, variant: string) => ({
    type,
    site: 'shop',
    url: `${SHOP}/`,
    offer: { id, variant },
  }),
}

const revenueOf = (items: Array<{ price: number; quantity: number }>) =>
  items.reduce((sum, item) => sum + item.price * item.quantity, 0)

export type SegmentParts = { device: string; country: string; source: string; category: string }
export const segmentId = (parts: SegmentParts) =>
  `device=${parts.device}|country=${parts.country}|source=${parts.source}|category=${parts.category}`

export const recoOffer = (overrides: Record<string, unknown> & { offer_id: string; visitors: number }) => {
  const parts = { device: 'desktop', country: 'DE', source: '*', category: 'brakes' }
  return {
    site: 'shop',
    segment: segmentId(parts),
    ...parts,
    variant: 'A',
    is_control: 0,
    impressions: 100,
    clicks: 10,
    conversions: 5,
    revenue: 99.5,
    conversion_rate: 0.05,
    ci_low: 0.02,
    ci_high: 0.11,
    uplift: 0.1,
    prob_best: 0.7,
    is_best: 1,
    computed_at: '2026-03-12 06:00:00',
    ...overrides,
  }
}

export async function insertRows(warehouse: Warehouse, table: string, values: object[]): Promise<void> {
  await warehouse.client.insert({ table, values, format: 'JSONEachRow' })
}

/**
 * The figures of an answer: checks that it states its privacy (answer-meta.ts), as every answer
 * of the read API must, then drops those two fields so a test can compare the figures alone.
 */
export function figures<Body extends Record<string, unknown>>(
  body: Body,
  release: 'differential-privacy' | 'k-threshold' = 'k-threshold',
): Omit<Body, 'privacy' | 'release'> {
  const { privacy, release: given, ...rest } = body
  expect(given, JSON.stringify(body)).toBe(release)
  expect(AnswerMeta.shape.privacy.safeParse(privacy).success, JSON.stringify(privacy)).toBe(true)
  return rest
}
