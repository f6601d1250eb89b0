import { expect } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  ev,
  figures,
  IPHONE_UA,
  type Person,
  type ReadService,
  read,
  send,
  startReadService,
} from './support.ts'

/*
 * Two days of a small shop, sent through the real collector, for tests that check figures read
 * back through /api/stats against figures worked out by hand. K_ANON=2, so a group of one
 * visitor is held back.
 *
 *   2026-03-10  A, B: desktop Chrome/Linux, DE   C, D: iPhone Safari/iOS, FR
 *   2026-03-11  A again (a new daily hash), E: desktop, DE
 */

const A: Person = { ip: '203.0.113.1', country: 'DE' }
const B: Person = { ip: '203.0.113.2', country: 'DE' }
const C: Person = { ip: '203.0.113.3', country: 'FR', ua: IPHONE_UA }
const D: Person = { ip: '203.0.113.4', country: 'FR', ua: IPHONE_UA }
const E: Person = { ip: '203.0.113.5', country: 'DE' }

const google = { referrer: 'https://www.google.com/' }
const facebook = { referrer: 'https://www.facebook.com/' }
const pads = { id: 'bp-1', category: 'brakes', price: 39.9, quantity: 1 }
const tyres = { id: 'bp-2', category: 'tyres', price: 20, quantity: 2 }

export const RANGE = 'site=shop&from=2026-03-10&to=2026-03-11'

export type ShopDays = {
  warehouse: Warehouse
  service: ReadService
  /** GET /api/stats/<view> over both days, expecting 200. */
  stats(view: string, extra?: string): Promise<Record<string, unknown>>
  dispose(): Promise<void>
}

export async function openShopDays(): Promise<ShopDays> {
  const { warehouse, dispose } = await openTempEmbedded()
  // The shop sells in dollars: every answer with revenue says so.
  const service = await startReadService(warehouse, { K_ANON: '2', CURRENCIES: 'shop=USD' })

  service.setNow('2026-03-10T10:15:00Z')
  await send(service.url, A, [
    ev.pageview('/', google),
    ev.pageview('/p/brakes'),
    ev.productView('bp-1', 'brakes', { id: 'bp-0', category: 'brakes' }),
    ev.addToCart('bp-1', 'brakes'),
    ev.checkout([pads]),
    ev.purchase([pads]),
    ev.search('pads', 3),
    ev.offer('offer_impression', 'o1', 'A'),
    ev.offer('offer_click', 'o1', 'A'),
  ])
  await send(service.url, B, [
    ev.pageview('/', google),
    ev.pageview('/p/brakes'),
    ev.productView('bp-1', 'brakes', { id: 'bp-0', category: 'brakes' }),
    ev.addToCart('bp-1', 'brakes'),
    ev.search('pads', 3),
    ev.search('xyz', 0),
    ev.offer('offer_impression', 'o1', 'A'),
  ])
  await send(service.url, C, [
    ev.pageview('/', facebook),
    ev.pageview('/p/tyres'),
    ev.productView('bp-2', 'tyres', { id: 'bp-1', category: 'brakes' }),
    ev.search('xyz', 0),
    ev.offer('offer_impression', 'o1', 'B'),
  ])
  await send(service.url, D, [
    ev.pageview('/', facebook),
    ev.productView('bp-2', 'tyres'),
    ev.addToCart('bp-2', 'tyres'),
    ev.checkout([tyres]),
    ev.purchase([tyres], { id: 'o1', variant: 'B' }),
    ev.offer('offer_impression', 'o1', 'B'),
    ev.offer('offer_click', 'o1', 'B'),
  ])
  service.setNow('2026-03-11T09:40:00Z')
  await send(service.url, A, [
    ev.pageview('/', google),
    ev.productView('bp-1', 'brakes'),
    ev.checkout([pads]),
    ev.purchase([pads]),
  ])
  await send(service.url, E, [ev.pageview('/lonely')])
  await service.flush()
  return {
    warehouse,
    service,
    stats: async (view, extra = '') => {
      const answer = await read(service.url, `/api/stats/${view}?${RANGE}${extra}`)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return figures(answer.body)
    },
    dispose: async () => {
      await service.close()
      await dispose()
    },
  }
}
