import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { DAY_VISITORS } from '../../api/queries/common.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { everyKindOfEvent } from '../aggregator/support.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { figures, type ReadService, read, startReadService } from './support.ts'

/*
 * The k threshold after finalize-sketches. Once a day's sketches become per-row counts, a view
 * that pools several stored rows of that day adds their counts: three people who each came from
 * two sources show as six. The shown figure may be that upper bound; the gate must not be.
 *
 * With K_ANON=5, at 2026-03-20 00:10 (salts of the 19th and 20th remain, so days before the 19th
 * are finalized):
 *
 *   2026-03-10  /few: visitors 1-3, each from search and from social (3 people, 6 row-visitors)
 *               /many: visitors 11-16 from search, 11 and 12 also from social (6 people)
 *   2026-03-11  visitors 21-23, every kind of event, each from search and from social
 *   2026-03-19  /recent: visitors 31-35 from search and social; /recent-few: 36-39 likewise
 */

const K = 5
const NOW = new Date('2026-03-20T00:10:00Z')

const pageview = (visitor: number, day: string, path: string, source: string): EventRow =>
  row({ site: 'shop', visitor: String(visitor), hour: `${day} 10:00:00`, path, source })

const fromBothSources = (visitors: number[], day: string, path: string) =>
  visitors.flatMap((visitor) => ['search', 'social'].map((source) => pageview(visitor, day, path, source)))

const EVENTS: EventRow[] = [
  ...fromBothSources([1, 2, 3], '2026-03-10', '/few'),
  ...[11, 12, 13, 14, 15, 16].map((visitor) => pageview(visitor, '2026-03-10', '/many', 'search')),
  ...[11, 12].map((visitor) => pageview(visitor, '2026-03-10', '/many', 'social')),
  ...[21, 22, 23].flatMap((visitor) =>
    ['search', 'social'].flatMap((source) =>
      everyKindOfEvent(String(visitor), '2026-03-11 09:00:00').map((event) => ({
        ...event,
        site: 'shop',
        source,
      })),
    ),
  ),
  ...fromBothSources([31, 32, 33, 34, 35], '2026-03-19', '/recent'),
  ...fromBothSources([36, 37, 38, 39], '2026-03-19', '/recent-few'),
]

const STATS_VIEWS = [
  'overview',
  'timeseries',
  'timeseries?interval=hour',
  'pages',
  'sources',
  'sources?by=referrer_host',
  'devices',
  'browsers',
  'os',
  'countries',
  'products',
  'funnel',
  'transitions',
  'offers',
  'search',
]

const stats = async (view: string, from: string, to = from) => {
  const [name, extra] = view.split('?')
  const answer = await read(
    service.url,
    `/api/stats/${name}?site=shop&from=${from}&to=${to}${extra ? `&${extra}` : ''}`,
  )
  expect(answer.status, `${view}: ${JSON.stringify(answer.body)}`).toBe(200)
  return figures(answer.body)
}

type Body = Record<string, unknown>

const everyView = async (from: string, to = from): Promise<Record<string, Body>> =>
  Object.fromEntries(await Promise.all(STATS_VIEWS.map(async (view) => [view, await stats(view, from, to)])))

let warehouse: Warehouse
let disposeWarehouse: () => Promise<void>
let service: ReadService
let recentBefore: Record<string, Body>
let oldBefore: Record<string, Body>

beforeAll(async () => {
  ;({ warehouse, dispose: disposeWarehouse } = await openTempEmbedded())
  service = await startReadService(warehouse, { K_ANON: String(K) })
  await insertEvents(warehouse, EVENTS)
  recentBefore = await everyView('2026-03-19')
  oldBefore = await everyView('2026-03-10')
  const report = await finalizeSketches(warehouse, NOW)
  expect(report.cutoff).toBe('2026-03-19')
  expect(report.finalized.pages_daily).toBeGreaterThan(0)
})

afterAll(async () => {
  await service?.close()
  await disposeWarehouse?.()
})

/** The shown figure of a pooled group, as the read queries compute it: the sum of its rows' counts. */
async function pooledVisitors(table: string, where: string, day: string): Promise<number> {
  const result = await warehouse.client.query({
    // Test-only: the table and condition are constants of this file.
    query: `SELECT ${DAY_VISITORS} AS visitors FROM ${table}
      WHERE site = 'shop' AND day = {day:Date} AND ${where}`,
    query_params: { day },
    format: 'JSONEachRow',
  })
  const [first] = await result.json<{ visitors: string | number }>()
  return Number(first?.visitors)
}

describe(`k-anonymity (K_ANON=${K}) after finalize-sketches`, () => {
  it('pools finalized rows into an upper bound: three people show as six', async () => {
    expect(await pooledVisitors('pages_daily', "path = '/few'", '2026-03-10')).toBe(6)
    expect(await pooledVisitors('traffic_daily', "type = 'pageview'", '2026-03-11')).toBe(6)
    expect(await pooledVisitors('products_daily', "product_id = 'bp-1'", '2026-03-11')).toBe(6)
  })

  it('still holds back a page of three people seen from two sources, and releases one of six', async () => {
    expect(oldBefore.pages).toEqual({ rows: [{ path: '/many', pageviews: 8, visitors: 6 }], suppressed: 1 })
    // The released page shows the pooled figure: 6 people, of whom 2 came from both sources.
    expect(await stats('pages', '2026-03-10')).toEqual({
      rows: [{ path: '/many', pageviews: 8, visitors: 8 }],
      suppressed: 1,
    })
    expect(await stats('pages?source=social', '2026-03-10')).toEqual({ rows: [], suppressed: 2 })
  })

  it('releases nothing from a finalized day of three people, on any view', async () => {
    for (const [view, body] of Object.entries(await everyView('2026-03-11'))) {
      const groups =
        'rows' in body
          ? (body.rows as unknown[])
          : [(body as { current: unknown }).current].filter((group) => group !== null)
      expect(groups, `${view}: ${JSON.stringify(body)}`).toEqual([])
      expect(body.suppressed, view).toBeGreaterThanOrEqual(1)
    }
    // The overview's previous day (the 10th: nine people) is released, with its pooled figure.
    expect((await stats('overview', '2026-03-11')).previous).toMatchObject({ visitors: 14, pageviews: 14 })
  })

  it('leaves the figures of days that still have sketches unchanged', async () => {
    expect(await everyView('2026-03-19')).toEqual(recentBefore)
    expect(recentBefore.pages).toEqual({
      rows: [{ path: '/recent', pageviews: 10, visitors: 5 }],
      suppressed: 1,
    })
    expect(recentBefore.overview).toMatchObject({ current: { visitors: 9, pageviews: 18 } })
  })

  it('never answers with the lower bound itself', async () => {
    for (const from of ['2026-03-10', '2026-03-11', '2026-03-19']) {
      const text = JSON.stringify(await everyView(from, '2026-03-19'))
      expect(text).toContain('"visitors"')
      expect(text).not.toContain('visitors_floor')
    }
  })

  // Last: it adds rows to a finalized day.
  it('does not add a late sketch to the finalized counts it may repeat', async () => {
    // Events of the 10th that reach the warehouse after it was finalized (a write buffer spooled
    // for days): the same three people again. Until the next run they are a sketch beside the
    // finalized counts, and the largest finalized count plus the sketch would make six.
    await insertEvents(
      warehouse,
      [1, 2, 3].map((visitor) => ({
        ...pageview(visitor, '2026-03-10', '/few', 'search'),
        hour: '2026-03-10 20:00:00',
      })),
    )
    expect(await stats('pages', '2026-03-10')).toEqual({
      rows: [{ path: '/many', pageviews: 8, visitors: 8 }],
      suppressed: 1,
    })
  })
})
