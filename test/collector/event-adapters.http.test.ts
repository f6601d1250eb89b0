import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeIngest } from '../../collector/routes/event-node.ts'
import { ingestFirst } from '../../server/ingest-first.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { CHROME_UA } from '../support/http.ts'
import { startService, type TestService } from '../support/service.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

// POST /api/event has two adapters over one decision (collector/routes/accept.ts): the node:http
// route the server tries first, and the Hono route behind it. Two services, one with each, get
// the same requests in the same order and must answer and count alike, the privacy bounds included.

const SHOP = 'https://shop.example'
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
const ENV = {
  SITES: `shop=${SHOP}`,
  // The release machinery on, and with it the visitor-day contribution bound (10 pageviews).
  DP_EPSILON: '1',
  RATE_LIMIT: '20',
  TRUST_PROXY: '1',
}
const pageview = (path = '/') => ({ type: 'pageview', site: 'shop', url: `${SHOP}${path}` })

type Sent = { name: string; body: unknown; headers?: Record<string, string> }

/** Each from its own client address (X-Forwarded-For, trusted here), so that one's bound or limit is not another's. */
const REQUESTS: Sent[] = [
  { name: 'valid', body: pageview(), headers: { 'x-forwarded-for': '198.51.100.1' } },
  { name: 'valid, text/plain', body: pageview('/a'), headers: { 'content-type': 'text/plain' } },
  { name: 'invalid JSON', body: '{"type":' },
  { name: 'not an event', body: { type: 'pageview' } },
  { name: 'invalid field', body: { ...pageview(), url: 42 } },
  { name: 'unknown site', body: { ...pageview(), site: 'nope' } },
  { name: 'stranger origin', body: pageview(), headers: { origin: 'https://elsewhere.example' } },
  { name: 'opted out (GPC)', body: pageview(), headers: { 'sec-gpc': '1' } },
  { name: 'opted out (DNT)', body: '{"not":"even read"', headers: { dnt: '1' } },
  { name: 'a bot', body: pageview(), headers: { 'user-agent': BOT_UA } },
  {
    name: 'batch',
    body: { events: [pageview('/b'), pageview('/c'), pageview('/d')] },
    headers: { 'x-forwarded-for': '198.51.100.2' },
  },
  {
    name: 'batch with a bad event',
    body: { events: [pageview(), { ...pageview(), url: 'notaurl' }] },
    headers: { 'x-forwarded-for': '198.51.100.2' },
  },
  {
    name: 'over the bound',
    body: { events: Array.from({ length: 12 }, (_, i) => pageview(`/p${i}`)) },
    headers: { 'x-forwarded-for': '198.51.100.3' },
  },
  { name: 'past the bound', body: pageview('/late'), headers: { 'x-forwarded-for': '198.51.100.3' } },
  {
    name: 'batch over the rate limit',
    body: { events: Array.from({ length: 25 }, () => pageview()) },
    headers: { 'x-forwarded-for': '198.51.100.4' },
  },
  { name: 'after the rate limit', body: pageview(), headers: { 'x-forwarded-for': '198.51.100.4' } },
  { name: 'empty body', body: '' },
]

type Answer = { status: number; body: string; headers: Record<string, string> }

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let nodeFirst: TestService
let honoOnly: TestService
let takenByNode = 0

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  const counting =
    (ingest: NodeIngest): NodeIngest =>
    (request, response) => {
      const taken = ingest(request, response)
      if (taken) takenByNode++
      return taken
    }
  nodeFirst = await startService(warehouse, ENV, {
    createServer: (collector) => ingestFirst(counting(collector.ingestNode)),
  })
  honoOnly = await startService(warehouse, ENV, { createServer: () => undefined })
})
afterAll(async () => {
  await nodeFirst?.close()
  await honoOnly?.close()
  await disposeWarehouse?.()
})

describe('the node:http and Hono adapters of POST /api/event', () => {
  it('answer the same requests with the same status, body, headers and counters', async () => {
    const viaNode: Answer[] = []
    const viaHono: Answer[] = []
    for (const sent of REQUESTS) {
      viaNode.push(await send(nodeFirst.url, sent))
      viaHono.push(await send(honoOnly.url, sent))
    }
    // Every request was the node:http route's on one service (so the two adapters were compared).
    expect(takenByNode).toBe(REQUESTS.length)

    for (const [index, sent] of REQUESTS.entries()) {
      expect({ name: sent.name, ...viaHono[index] }).toEqual({ name: sent.name, ...viaNode[index] })
    }
    // What each kind of request got, so that two adapters equally wrong cannot pass.
    const statuses = Object.fromEntries(REQUESTS.map((sent, i) => [sent.name, viaNode[i]?.status]))
    expect(statuses).toEqual({
      valid: 202,
      'valid, text/plain': 202,
      'invalid JSON': 400,
      'not an event': 400,
      'invalid field': 400,
      'unknown site': 400,
      'stranger origin': 403,
      'opted out (GPC)': 204,
      'opted out (DNT)': 204,
      'a bot': 204,
      batch: 202,
      'batch with a bad event': 400,
      'over the bound': 202,
      'past the bound': 202,
      'batch over the rate limit': 429,
      'after the rate limit': 202,
      'empty body': 400,
    })
    const byName = (name: string) => viaNode[REQUESTS.findIndex((sent) => sent.name === name)]
    expect(JSON.parse(byName('over the bound')?.body ?? '')).toEqual({ accepted: 10 })
    expect(JSON.parse(byName('past the bound')?.body ?? '')).toEqual({ accepted: 0 })
    expect(JSON.parse(byName('batch')?.body ?? '')).toEqual({ accepted: 3 })
    expect(JSON.parse(byName('invalid field')?.body ?? '')).toMatchObject({ error: 'invalid', field: 'url' })
    expect(JSON.parse(byName('batch with a bad event')?.body ?? '')).toMatchObject({
      field: expect.stringMatching(/^events\.1\./),
    })
    expect(byName('batch over the rate limit')?.headers['retry-after']).toMatch(/^\d+$/)

    const counters = (service: TestService) =>
      service.collector.metrics
        .render()
        .split('\n')
        .filter((line) => line.startsWith('tally_events_') && !line.startsWith('tally_events_flushed'))
    expect(counters(honoOnly)).toEqual(counters(nodeFirst))
    const metrics = nodeFirst.collector.metrics
    expect(metrics.value('tally_events_dropped_total', { reason: 'contribution_bound' })).toBe(3)
    expect(metrics.value('tally_events_dropped_total', { reason: 'opt_out' })).toBe(2)
    expect(metrics.value('tally_events_accepted_total')).toBe(1 + 1 + 3 + 10 + 1)
  })
})

// The moment, and the framing: node:http writes the fast path's head before its body, so chunked,
// where the Hono adapter's server sends a Content-Length. Both are the transport's, not the route's.
const TRANSPORT = new Set(['date', 'keep-alive', 'content-length', 'transfer-encoding'])

/** One POST; the answer's status, body and the headers the route decides. */
async function send(url: string, sent: Sent): Promise<Answer> {
  const response = await fetch(`${url}/api/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA, origin: SHOP, ...sent.headers },
    body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body),
  })
  const headers: Record<string, string> = {}
  for (const [name, value] of response.headers) {
    if (!TRANSPORT.has(name)) headers[name] = value
  }
  return { status: response.status, body: await response.text(), headers }
}
