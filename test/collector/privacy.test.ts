import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { postEvents } from '../support/http.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// Personal data planted in every field a visitor's browser controls. After the events went
// through the real collector, no table of the warehouse may hold any of it.
const PII = {
  email: 'jane.doe@example.com',
  card: '4111111111111111',
  cardSpaced: '4111 1111 1111 1111',
  phone: '+49 151 23456789',
  ipv4: '203.0.113.77',
  ipv6: '2001:db8::8a2e:370:7334',
  token: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  uuid: '123e4567-e89b-12d3-a456-426614174000',
  userId: 'user-8c1f2e9a77b3',
  password: 'hunter2pw',
  name: 'Jane Q. Doe',
}
const CLIENT_IP = '198.51.100.23'
const CLIENT_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.86 Safari/537.36 PrivacyProbe/7.7'

const SHOP = 'https://shop.example'
const dirtyUrl = `https://jane:${PII.password}@shop.example/account/${PII.email}/orders/${PII.uuid}?email=${encodeURIComponent(PII.email)}&card=${PII.card}&phone=${encodeURIComponent(PII.phone)}&ip=${PII.ipv4}&token=${PII.token}&utm_source=news&utm_campaign=${encodeURIComponent(PII.email)}#${PII.userId}`
const dirtyReferrer = `https://mail.example.net/inbox/${PII.userId}?to=${encodeURIComponent(PII.email)}`

const extras = {
  email: PII.email,
  userId: PII.userId,
  ip: PII.ipv4,
  fullName: PII.name,
  timestamp: 1764000000123,
}

const events = [
  { type: 'pageview', site: 'shop', url: dirtyUrl, referrer: dirtyReferrer, ...extras },
  {
    type: 'product_view',
    site: 'shop',
    url: dirtyUrl,
    product: { id: 'bp-1', category: 'brakes', owner: PII.email },
    prev: { url: dirtyUrl, product: { id: 'bp-0', category: 'brakes' }, user: PII.userId },
    ...extras,
  },
  {
    type: 'search',
    site: 'shop',
    url: dirtyUrl,
    search: {
      query: `brake pads ${PII.email} ${PII.cardSpaced} ${PII.phone} ${PII.ipv6} ${PII.token}`,
      results: 0,
    },
    ...extras,
  },
  {
    type: 'custom',
    site: 'shop',
    url: dirtyUrl,
    name: 'contact_form',
    props: { email: PII.email, card: PII.card, phone: PII.phone, ip: PII.ipv6, uuid: PII.uuid, plan: 'pro' },
    ...extras,
  },
  {
    type: 'purchase',
    site: 'shop',
    url: dirtyUrl,
    order: {
      revenue: 42,
      currency: 'EUR',
      items: [{ id: 'bp-1', category: 'brakes', price: 21, quantity: 2 }],
      customer: { email: PII.email, name: PII.name },
    },
    offer: { id: PII.email, variant: 'b' },
    ...extras,
  },
  // The types added for visits, engagement and the GA4 bridge: a link's host or scrubbed path, an
  // engagement report, a page not found, the checkout's later steps and a refund.
  {
    type: 'outbound',
    site: 'shop',
    url: dirtyUrl,
    link: `https://${PII.ipv4}/to/${PII.email}?c=${PII.card}`,
    ...extras,
  },
  {
    type: 'download',
    site: 'shop',
    url: dirtyUrl,
    link: `${SHOP}/invoices/${PII.uuid}/${PII.email}.pdf?token=${PII.token}`,
    ...extras,
  },
  { type: 'engagement', site: 'shop', url: dirtyUrl, ms: 4200, scroll: 80, scroll_from: 10, ...extras },
  { type: 'not_found', site: 'shop', url: dirtyUrl, ...extras },
  {
    type: 'shipping_info',
    site: 'shop',
    url: dirtyUrl,
    order: {
      revenue: 42,
      currency: 'EUR',
      items: [{ id: PII.email, category: PII.card, price: 21, quantity: 2 }],
    },
    ...extras,
  },
  { type: 'payment_info', site: 'shop', url: dirtyUrl, ...extras },
  {
    type: 'refund',
    site: 'shop',
    url: dirtyUrl,
    order: {
      revenue: 21,
      currency: 'EUR',
      items: [{ id: 'bp-1', category: 'brakes', price: 21, quantity: 1 }],
    },
    ...extras,
  },
]

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: TestService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startService(warehouse, { SITES: `shop=${SHOP}`, TRUST_PROXY: '1' })
})
afterAll(async () => {
  await service?.close()
  await dispose?.()
})

/** Every value of every table in the database, as text. */
async function dumpEveryTable(): Promise<{ tables: string[]; text: string }> {
  const tables = await (
    await warehouse.client.query({
      query:
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'View')",
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>()
  let text = ''
  for (const { name } of tables) {
    // Table names come from the warehouse's own catalogue, not from input.
    const result = await warehouse.client.query({ query: `SELECT * FROM ${name}`, format: 'TabSeparated' })
    text += `${name}\n${await result.text()}\n`
  }
  return { tables: tables.map((t) => t.name), text }
}

describe('planted personal data', () => {
  it('never reaches any table of the warehouse', async () => {
    const response = await postEvents(
      service.url,
      { events },
      {
        'x-forwarded-for': CLIENT_IP,
        'user-agent': CLIENT_UA,
        'x-user-email': PII.email,
        cookie: `uid=${PII.userId}`,
      },
    )
    expect(response.json).toEqual({ accepted: events.length })
    expect(response.status).toBe(202)
    await service.flush()

    const { tables, text } = await dumpEveryTable()
    expect(tables).toContain('pages_daily')
    // The dump is real: the scrubbed remains of the events are there.
    expect(text).toContain('/account/:id/orders/:id')
    expect(text).toContain('brake pads')
    expect(text).toContain('contact_form')
    // An offer id that is an e-mail address is replaced whole, not stored.
    expect(text).toContain(':redacted')

    const forbidden = [
      ...Object.values(PII),
      PII.phone.replace(/\D/g, ''),
      '151 23456789',
      '23456789',
      CLIENT_IP,
      CLIENT_UA,
      'PrivacyProbe',
      '131.0.6778.86',
      'jane',
      'mail.example.net/inbox',
    ]
    for (const needle of forbidden)
      expect(text.toLowerCase(), `found "${needle}"`).not.toContain(needle.toLowerCase())
  })

  it('never reaches the request log', async () => {
    const lines: string[] = []
    const { createLogger } = await import('../../core/logger.ts')
    const { requestLog } = await import('../../server/request-log.ts')
    const { Hono } = await import('hono')
    const logger = createLogger('info', { write: (line: string) => lines.push(line) })
    const app = new Hono().use(requestLog(logger)).get('*', (c) => c.text('ok'))
    await app.request(`/account?email=${encodeURIComponent(PII.email)}`, {
      headers: { 'user-agent': CLIENT_UA, 'x-forwarded-for': CLIENT_IP },
    })
    const logged = lines.join('')
    expect(logged).toContain('"path":"/account"')
    for (const needle of [PII.email, 'email=', CLIENT_IP, 'PrivacyProbe'])
      expect(logged).not.toContain(needle)
  })
})
