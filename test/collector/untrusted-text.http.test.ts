import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { postEvents } from '../support/http.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// What a client writes reaches storage only as the pipeline normalises it: labels and paths
// without control or bidi characters, and behind a trusted proxy no address the client chose.
const SHOP = 'https://shop.example'

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

const query = async <T>(sql: string) =>
  (await warehouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, { SITES: `shop=${SHOP},xff=${SHOP}`, TRUST_PROXY: '1' })
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

const UNSAFE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u

describe('labels and paths', () => {
  it('lose control, line-breaking and bidi characters, and are NFKC-normalised', async () => {
    const answer = await postEvents(
      service.url,
      {
        events: [
          {
            type: 'product_view',
            site: 'shop',
            url: `${SHOP}/p/tab%09here/cr%0Dhere/ls%E2%80%A8x/abc%E2%80%AEgpj.exe`,
            product: { id: 'abc\u202egpj.exe', category: 'bags\u2028x\t\r\u0085\u2066y\u2069', price: 1 },
          },
          {
            type: 'pageview',
            site: 'shop',
            url: `${SHOP}/p/tab%09here/cr%0Dhere/ls%E2%80%A8x/abc%E2%80%AEgpj.exe`,
          },
          {
            type: 'product_view',
            site: 'shop',
            url: `${SHOP}/p/2`,
            product: { id: 'ｆｕｌｌ\u200f', category: 'ﬁne', price: 1 },
          },
        ],
      },
      { 'x-forwarded-for': '192.0.2.1' },
    )
    expect(answer.status, JSON.stringify(answer.json)).toBe(202)
    expect(answer.json).toEqual({ accepted: 3 })
    await service.flush()
    const products = await query<{ product_id: string; category: string }>(
      "SELECT DISTINCT product_id, category FROM products_daily WHERE site = 'shop' ORDER BY product_id",
    )
    expect(products).toEqual([
      { product_id: 'abcgpj.exe', category: 'bagsxy' },
      { product_id: 'full', category: 'fine' },
    ])
    const paths = await query<{ path: string }>(
      "SELECT DISTINCT path FROM pages_daily WHERE site = 'shop' ORDER BY path",
    )
    expect(paths.length).toBeGreaterThan(0)
    for (const { path } of paths) expect(path).not.toMatch(UNSAFE)
    expect(paths.map((p) => p.path)).toContain('/p/tabhere/crhere/lsx/abcgpj.exe')
  })
})

describe('X-Forwarded-For behind a trusted proxy', () => {
  it('an unusable right-most entry is no address: the client-written one to its left is never used', async () => {
    const send = (xff: string) =>
      postEvents(
        service.url,
        { type: 'pageview', site: 'xff', url: `${SHOP}/xff` },
        { 'x-forwarded-for': xff },
      )
    // 5.5.5.5 is in Germany: its country would show that the client-written entry was believed.
    for (const xff of ['5.5.5.5, garbage', '5.5.5.5, ', '5.5.5.5,999.1.1.1'])
      expect((await send(xff)).status).toBe(202)
    await service.flush()
    const countries = await query<{ country: string }>(
      "SELECT DISTINCT country FROM pages_daily WHERE site = 'xff'",
    )
    expect(countries).toEqual([{ country: '' }])
    // The proxy's own entry is believed as before.
    expect((await send('garbage, 5.5.5.5')).status).toBe(202)
    await service.flush()
    const after = await query<{ country: string }>(
      "SELECT DISTINCT country FROM pages_daily WHERE site = 'xff' ORDER BY country",
    )
    expect(after).toEqual([{ country: '' }, { country: 'DE' }])
  })
})
