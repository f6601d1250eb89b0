import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS, measurement } from '../../aggregator/release/measurements.ts'
import type { ReleasedCell } from '../../api/queries/getReleased.ts'
import {
  customEventRows,
  engagementRows,
  entryPageRows,
  exitPageRows,
  linkRows,
  visitorKindRows,
} from '../../api/released-engagement.ts'
import { sumByKey } from '../../api/released-figures.ts'
import { pageviewList, ratio, share } from '../../api/released-lists.ts'
import { seededRandom } from '../../core/dp/index.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { type ReadService, read, startReadService } from './support.ts'

/*
 * The list views as post-processing of released cells (api/released-lists.ts,
 * api/released-engagement.ts), first on hand-made cells, then over real HTTP: with DP on, every
 * list route that has a released measurement answers from it, its rows the sum of the days'
 * released figures (visitors: the sum of daily unique visitors, on finalized and recent days
 * alike), each figure with its noise, one filter at a time; the subtraction attack of issue 15
 * yields nothing there.
 */

// --- Post-processing, on hand-made cells -------------------------------------------------------

const cell = (
  day: string,
  k1: string,
  measure: string,
  value: number,
  stddev = 0,
  k2 = '',
): ReleasedCell => ({
  day,
  slot: 0,
  k1,
  k2,
  k3: '',
  measure,
  value,
  stddev,
})

describe('released list rows from cells', () => {
  it('sums the days, shows non-negative integers, gives the noise and drops rows shown as 0 visitors', () => {
    const sums = sumByKey([
      cell('2026-09-01', '/a', 'pageviews', 10.4, 3),
      cell('2026-09-02', '/a', 'pageviews', 10.4, 4),
      cell('2026-09-01', '/a', 'visitors', 6.3, 3),
      cell('2026-09-02', '/a', 'visitors', 6.3, 4),
      cell('2026-09-01', '/b', 'pageviews', 30, 3),
      cell('2026-09-01', '/b', 'visitors', 2, 3),
      // Noise took this one below zero: shown as 0 visitors, so left out.
      cell('2026-09-01', '/gone', 'pageviews', 12, 3),
      cell('2026-09-01', '/gone', 'visitors', -2.2, 3),
    ])
    // The sum is rounded once (20.8 → 21), not each day (10 + 10); σ = √(3² + 4²) = 5.
    expect(pageviewList(sums, 'pageviews')).toEqual([
      { value: '/b', pageviews: 30, visitors: 2, sd: { pageviews: 3, visitors: 3 } },
      { value: '/a', pageviews: 21, visitors: 13, sd: { pageviews: 5, visitors: 5 } },
    ])
    // The tech views put visitors first, as their k-gate query does.
    expect(pageviewList(sums, 'visitors').map((entry) => entry.value)).toEqual(['/a', '/b'])
  })

  it('breaks ties by the figures in turn, then by the key in byte order', () => {
    const sums = sumByKey([
      ...['b', 'B', 'a'].flatMap((key) => [cell('d', key, 'pageviews', 5), cell('d', key, 'visitors', 5)]),
      cell('d', 'z', 'pageviews', 5),
      cell('d', 'z', 'visitors', 6),
    ])
    expect(pageviewList(sums, 'pageviews').map((entry) => entry.value)).toEqual(['z', 'B', 'a', 'b'])
  })

  it('takes a ratio from the summed values, clamps it, and gives its first-order noise', () => {
    expect(ratio({ value: 5, stddev: 3 }, { value: 10, stddev: 4 })).toEqual({
      value: 0.5,
      stddev: Math.sqrt(9 + 0.25 * 16) / 10,
    })
    // A denominator that noise took to nothing has no ratio.
    expect(ratio({ value: 5, stddev: 3 }, { value: -1, stddev: 4 })).toEqual({ value: 0, stddev: 0 })
    expect(share({ value: 12, stddev: 0 }, { value: 10, stddev: 0 }).value).toBe(1)
    expect(share({ value: -3, stddev: 0 }, { value: 10, stddev: 0 }).value).toBe(0)
    expect(share({ value: 1, stddev: 0 }, { value: 3, stddev: 0 }).value).toBe(0.3333)
  })

  it('makes entry and exit pages with their rates from the summed values', () => {
    const sums = sumByKey([
      ...['2026-09-01', '2026-09-02'].flatMap((day) => [
        cell(day, '/', 'entries', 10.4, 2),
        cell(day, '/', 'bounces', 5.4, 2),
        cell(day, '/', 'exits', 3.2, 2),
        cell(day, '/', 'pageviews', 20.2, 2),
        cell(day, '/', 'visitors', 10.2, 2),
      ]),
      // No visit began here (shown 0): not an entry page; its exits make it an exit page.
      cell('2026-09-01', '/a', 'entries', 0.3, 2),
      cell('2026-09-01', '/a', 'exits', 8, 2),
      cell('2026-09-01', '/a', 'pageviews', 8, 2),
      cell('2026-09-01', '/a', 'visitors', 8, 2),
    ])
    const entries = entryPageRows(sums)
    // 10.8 / 20.8, not 11 / 21.
    expect(entries).toEqual([
      {
        path: '/',
        visits: 21,
        bounce_rate: 0.5192,
        visitors: 20,
        sd: { visits: 2.8, visitors: 2.8, bounce_rate: expect.any(Number) },
      },
    ])
    expect(entries[0]?.sd.bounce_rate).toBeCloseTo(Math.sqrt(8 + (10.8 / 20.8) ** 2 * 8) / 20.8, 4)
    expect(
      exitPageRows(sums).map((entry) => [entry.path, entry.exits, entry.pageviews, entry.exit_rate]),
    ).toEqual([
      ['/a', 8, 8, 1],
      ['/', 6, 40, 0.1584],
    ])
  })

  it('makes engagement rows, the marks not released being null', () => {
    const sums = sumByKey([
      cell('d', '/', 'pageviews', 40, 10),
      cell('d', '/', 'visitors', 20, 5),
      cell('d', '/', 'engaged_seconds', 130, 100),
      cell('d', '/', 'scroll_sum', 4500, 50),
      cell('d', '/', 'reached_50', 30, 10),
      cell('d', '/', 'reached_100', -4, 10),
    ])
    const [first] = engagementRows(sums)
    expect(first).toMatchObject({
      path: '/',
      pageviews: 40,
      time_on_page: 3.3,
      // 112.5 % per view is past the page: clamped.
      scroll_depth: 100,
      reached_25: null,
      reached_50: 0.75,
      reached_75: null,
      reached_100: 0,
      visitors: 20,
    })
    expect(Object.keys(first?.sd ?? {}).sort()).toEqual(
      ['pageviews', 'reached_100', 'reached_50', 'scroll_depth', 'time_on_page', 'visitors'].sort(),
    )
  })

  it('keeps one kind of link, the two visitor kinds in order and custom events by visitors', () => {
    const links = sumByKey([
      cell('d', 'outbound', 'events', 9, 1, 'partner.example'),
      cell('d', 'outbound', 'visitors', 7, 1, 'partner.example'),
      cell('d', 'download', 'events', 50, 1, '/files/a.pdf'),
      cell('d', 'download', 'visitors', 40, 1, '/files/a.pdf'),
    ])
    expect(linkRows(links, 'outbound')).toEqual([
      { target: 'partner.example', events: 9, visitors: 7, sd: { events: 1, visitors: 1 } },
    ])
    const kinds = sumByKey([
      cell('d', 'returning', 'visits', 5),
      cell('d', 'returning', 'visitors', 5),
      cell('d', 'new', 'visits', 3),
      cell('d', 'new', 'visitors', 3),
      cell('d', 'other', 'visits', 9),
      cell('d', 'other', 'visitors', 9),
    ])
    expect(visitorKindRows(kinds).map((entry) => entry.kind)).toEqual(['new', 'returning'])
    const custom = sumByKey([
      cell('d', 'a', 'events', 50),
      cell('d', 'a', 'visitors', 5),
      cell('d', 'b', 'events', 6),
      cell('d', 'b', 'visitors', 6),
    ])
    expect(customEventRows(custom).map((entry) => entry.name)).toEqual(['b', 'a'])
  })
})

// --- Over HTTP, from the released table --------------------------------------------------------

const K = 5
const OFF = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K)
const ON = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), K)
// Published at NOW; then the days before 09-03 lose their sketches (finalized), 09-03 keeps them.
const DAYS = ['2026-09-01', '2026-09-02', '2026-09-03'] as const
const FINALIZED = '2026-09-01'
const RECENT = '2026-09-03'
const NOW = new Date('2026-09-04T00:30:00Z')
const SITES = ['exact', 'noisy', 'attack', 'crowd'] as const

const SEARCH = {
  source: 'search',
  referrer_host: 'www.google.com',
  utm_source: 'news',
  utm_medium: 'email',
  utm_campaign: 'spring',
}

/**
 * One visitor's day: `/` from search (a bounce for every fifth), then `/a` directly (reloaded by
 * every third), so that each
 * visitor sits in two stored rows of every pageview rollup; engagement on `/`, links, goals.
 */
function visitorDay(site: string, day: string, id: string, v: number): EventRow[] {
  const mobile = v % 4 === 0
  const who = {
    site,
    visitor: id,
    device: mobile ? 'mobile' : 'desktop',
    browser: mobile ? 'Safari' : 'Chrome',
    os: mobile ? 'iOS' : 'Windows',
    country: v % 2 === 0 ? 'DE' : 'FR',
  }
  const at = (hour: number) => `${day} ${String(hour).padStart(2, '0')}:00:00`
  const bouncer = v % 5 === 0
  const rows = [
    row({
      ...who,
      ...SEARCH,
      hour: at(9),
      path: '/',
      entry: 1,
      bounce: 1,
      visitor_kind: v % 3 === 0 ? 'returning' : 'new',
    }),
    row({ ...who, hour: at(9), type: 'engagement', path: '/', engaged_ms: 3000, scroll: v % 2 ? 60 : 100 }),
    row({ ...who, hour: at(9), type: 'custom', path: '/', name: 'newsletter' }),
  ]
  if (bouncer) return rows
  return [
    ...rows,
    row({ ...who, hour: at(10), path: '/a', prev_path: '/', bounce: -1 }),
    // A reload for every third: pageviews are not visitors, nor exits pageviews.
    ...(v % 3 === 1 ? [row({ ...who, hour: at(10), path: '/a', prev_path: '/a' })] : []),
    row({ ...who, hour: at(10), type: 'outbound', path: '/a', link_target: 'partner.example' }),
    ...(v % 3 === 0
      ? [row({ ...who, hour: at(10), type: 'download', path: '/a', link_target: '/files/a.pdf' })]
      : []),
    ...(v % 4 === 1 ? [row({ ...who, hour: at(11), type: 'not_found', path: '/missing' })] : []),
    ...(v % 2 === 0 ? [row({ ...who, hour: at(11), type: 'custom', path: '/a', name: 'signup' })] : []),
  ]
}

const crowd = (site: string, days: readonly string[], size: (d: number) => number, from = 0): EventRow[] =>
  days.flatMap((day, d) =>
    Array.from({ length: size(d) }, (_, v) =>
      visitorDay(site, day, String(1_000_000 * (d + 1) + v + from), v),
    ).flat(),
  )

// The exact site: 40, 50 and 60 visitors on the three days.
const EXACT = crowd('exact', DAYS, (d) => 40 + 10 * d)
// The noisy site: a crowd past every list's release threshold at ε = 1 (the engagement pages' is
// about 4,150 visitors a day with σ 640), each visitor doing everything, on a finalized and a
// recent day.
const NOISY = DAYS.slice(1).flatMap((day, d) =>
  Array.from({ length: 7_000 }, (_, v) => {
    const who = { site: 'noisy', visitor: String(2_000_000 * (d + 1) + v), hour: `${day} 09:00:00` }
    return [
      row({ ...who, ...SEARCH, path: '/', entry: 1, bounce: 1, visitor_kind: v % 3 ? 'new' : 'returning' }),
      row({ ...who, type: 'engagement', path: '/', engaged_ms: 3000, scroll: 60 }),
      row({ ...who, path: '/a', prev_path: '/', bounce: -1 }),
      row({ ...who, type: 'outbound', path: '/a', link_target: 'partner.example' }),
      row({ ...who, type: 'download', path: '/a', link_target: '/files/a.pdf' }),
      row({ ...who, type: 'not_found', path: '/missing' }),
      row({ ...who, type: 'custom', path: '/a', name: 'newsletter' }),
    ]
  }).flat(),
)

/** The issue's attack: 20 DE visitors on /catalog, 5 of them also on the sensitive page, one from AT. */
function attack(site: string, crowdSize: number, sensitive: number): EventRow[] {
  const base = { site, hour: `${RECENT} 10:00:00` }
  const rows: EventRow[] = []
  for (let v = 0; v < crowdSize; v++) {
    const who = { ...base, visitor: String(5_000_000 + v), country: 'DE' }
    rows.push(row({ ...who, path: '/catalog' }))
    if (v < sensitive) rows.push(row({ ...who, path: '/c/sensitive-category' }))
  }
  const lone = { ...base, visitor: '9999999', country: 'AT' }
  rows.push(row({ ...lone, path: '/c/sensitive-category' }))
  for (let n = 0; n < 8; n++) rows.push(row({ ...lone, path: '/catalog' }))
  return rows
}

/** A cell key's contributions from one row: [key, amount]; amount 0 still counts its visitor. */
type Contributions = (event: EventRow) => Array<[string, number]>

/** Per key: the summed amounts, and the sum over the days of each day's distinct visitors. */
function truth(
  rows: readonly EventRow[],
  contributions: Contributions,
  days: readonly string[],
): Map<string, [number, number]> {
  const sums = new Map<string, number>()
  const seen = new Map<string, Set<string>>()
  for (const event of rows) {
    const day = event.hour.slice(0, 10)
    if (!days.includes(day)) continue
    for (const [key, amount] of contributions(event)) {
      sums.set(key, (sums.get(key) ?? 0) + amount)
      const visitors = seen.get(`${key}\u0000${day}`) ?? new Set<string>()
      visitors.add(event.visitor)
      seen.set(`${key}\u0000${day}`, visitors)
    }
  }
  const visitors = new Map<string, number>()
  for (const [name, set] of seen) {
    const key = name.split('\u0000')[0] as string
    visitors.set(key, (visitors.get(key) ?? 0) + set.size)
  }
  return new Map([...sums].map(([key, sum]) => [key, [sum, visitors.get(key) ?? 0]]))
}

const pageviews =
  (column: keyof EventRow): Contributions =>
  (event) =>
    event.type === 'pageview' ? [[String(event[column]), 1]] : []
const ofType =
  (type: string, target: (event: EventRow) => string): Contributions =>
  (event) =>
    event.type === type ? [[target(event), 1]] : []

type ListCase = {
  /** The route and its own parameters. */
  path: string
  measurement: string
  /** The row's key field and the figure compared with the truth beside visitors. */
  key: string
  figure: string
  contributions: Contributions
  /** The measure `figure` shows. */
  measure: string
  /** Rows with this figure at 0 are not listed (as the k-gate query leaves them out). */
  dropsZero?: boolean
}

const LISTS: readonly ListCase[] = [
  {
    path: '/pages?',
    measurement: 'pages',
    key: 'path',
    figure: 'pageviews',
    measure: 'pageviews',
    contributions: pageviews('path'),
  },
  ...(['source', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign'] as const).map((by) => ({
    path: `/sources?by=${by}&`,
    measurement: `sources.${by}`,
    key: 'value',
    figure: 'pageviews',
    measure: 'pageviews',
    contributions: pageviews(by),
  })),
  ...(['device', 'browser', 'os', 'country'] as const).map((column) => ({
    path: `/${column === 'country' ? 'countries' : column === 'os' ? 'os' : `${column}s`}?`,
    measurement: `tech.${column}`,
    key: column,
    figure: 'pageviews',
    measure: 'pageviews',
    contributions: pageviews(column),
  })),
  {
    path: '/entry-pages?',
    measurement: 'entry_exit',
    key: 'path',
    figure: 'visits',
    measure: 'entries',
    contributions: (event) => (event.type === 'pageview' ? [[event.path, event.entry]] : []),
    dropsZero: true,
  },
  {
    path: '/exit-pages?',
    measurement: 'entry_exit',
    key: 'path',
    figure: 'exits',
    measure: 'exits',
    // +1 on each view's page, -1 on the page a later view of the visit left.
    contributions: (event) =>
      event.type !== 'pageview'
        ? []
        : [
            [event.path, 1],
            ...(event.entry === 0 && event.prev_path ? [[event.prev_path, -1] as [string, number]] : []),
          ],
    dropsZero: true,
  },
  {
    path: '/engagement?',
    measurement: 'engagement',
    key: 'path',
    figure: 'pageviews',
    measure: 'pageviews',
    contributions: (event) =>
      event.type === 'pageview' ? [[event.path, 1]] : event.type === 'engagement' ? [[event.path, 0]] : [],
    dropsZero: true,
  },
  {
    path: '/outbound-links?',
    measurement: 'links',
    key: 'target',
    figure: 'events',
    measure: 'events',
    contributions: ofType('outbound', (event) => event.link_target),
  },
  {
    path: '/downloads?',
    measurement: 'links',
    key: 'target',
    figure: 'events',
    measure: 'events',
    contributions: ofType('download', (event) => event.link_target),
  },
  {
    path: '/not-found?',
    measurement: 'links',
    key: 'target',
    figure: 'events',
    measure: 'events',
    contributions: ofType('not_found', (event) => event.path),
  },
  {
    path: '/new-returning?',
    measurement: 'visitor_kinds',
    key: 'kind',
    figure: 'visits',
    measure: 'visits',
    contributions: (event) =>
      event.type === 'pageview' && event.entry === 1 && event.visitor_kind ? [[event.visitor_kind, 1]] : [],
  },
  {
    path: '/custom-events?',
    measurement: 'custom',
    key: 'name',
    figure: 'events',
    measure: 'events',
    contributions: ofType('custom', (event) => event.name),
  },
]

type Row = Record<string, unknown> & { visitors: number; sd: Record<string, number> }
type ListAnswer = { rows: Row[]; suppressed: number | null; release: string }

let warehouse: Warehouse
let dispose: () => Promise<void>
let dp: ReadService
let kGate: ReadService
/** Answers of the exact site read before the older days were finalized. */
const beforeFinalize = new Map<string, unknown>()

const siteList = SITES.map((site) => `${site}=https://${site}.example`).join(',')
const url = (list: ListCase, site: string, from: string, to: string, extra = '') =>
  `/api/stats${list.path}site=${site}&from=${from}&to=${to}${extra}`
const rowsOf = async (service: ReadService, path: string): Promise<ListAnswer> => {
  const answer = await read<ListAnswer>(service.url, path)
  expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(200)
  return answer.body
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  // Exact figures (no noise) for the arithmetic; then the other sites with noise, seeded.
  await insertEvents(warehouse, EXACT)
  await publishReleases(warehouse, NOW, { plan: OFF, grains: ['day'] })
  await insertEvents(warehouse, NOISY)
  await insertEvents(warehouse, [...attack('attack', 20, 5), ...attack('crowd', 3_000, 3_000)])
  await publishReleases(warehouse, NOW, { plan: ON, grains: ['day'], random: seededRandom('released-lists') })
  const env = { SITES: siteList, K_ANON: String(K) }
  dp = await startReadService(warehouse, { ...env, DP_EPSILON: '1' })
  kGate = await startReadService(warehouse, { ...env, DP_EPSILON: 'off' })
  for (const list of LISTS) {
    const path = url(list, 'exact', DAYS[0], RECENT)
    beforeFinalize.set(path, await rowsOf(dp, path))
  }
  const finalized = await finalizeSketches(warehouse, NOW)
  expect(finalized.cutoff).toBe(RECENT)
}, 300_000)

afterAll(async () => {
  await kGate?.close()
  await dp?.close()
  await dispose?.()
})

/** The truth a list should show: key → [figure, visitors], without the rows it leaves out. */
function expected(list: ListCase, rows: readonly EventRow[], days: readonly string[]) {
  const all = truth(rows, list.contributions, days)
  return new Map([...all].filter(([, [figure, visitors]]) => visitors > 0 && (!list.dropsZero || figure > 0)))
}
const shownOf = (list: ListCase, answer: ListAnswer) =>
  new Map(answer.rows.map((entry) => [String(entry[list.key]), [entry[list.figure], entry.visitors]]))
const between = (from: string, to: string) => DAYS.filter((day) => day >= from && day <= to)
/** A day, a finalized day and a recent one, and the whole range. */
const RANGES = [
  [FINALIZED, FINALIZED],
  [RECENT, RECENT],
  [DAYS[0], RECENT],
] as const
// Fields the released answer has and the k gate's has not, or has otherwise: noise, marks not released.
const strip = ({ sd: _sd, reached_25: _25, reached_75: _75, ...rest }: Row) => rest

describe('list routes with DP on, over HTTP', () => {
  it('answer from released figures: the sum of daily uniques and counts, on finalized and recent days alike', async () => {
    for (const list of LISTS) {
      for (const [from, to] of RANGES) {
        const path = url(list, 'exact', from, to)
        const answer = await rowsOf(dp, path)
        expect(answer.release, path).toBe('differential-privacy')
        expect(answer.suppressed, path).toBeNull()
        expect(shownOf(list, answer), path).toEqual(expected(list, EXACT, between(from, to)))
        for (const entry of answer.rows) {
          // Published without noise here: every figure's noise is stated, and is 0.
          expect(entry.sd, path).toMatchObject({ [list.figure]: 0, visitors: 0 })
          expect(
            Object.values(entry.sd).every((sd) => sd === 0),
            path,
          ).toBe(true)
        }
      }
      // Finalizing the older days changed nothing that was published: no jump.
      const range = url(list, 'exact', DAYS[0], RECENT)
      expect(await rowsOf(dp, range), range).toEqual(beforeFinalize.get(range))
    }
  })

  it('give the k gate’s rows on a day with sketches, and its figures but visitors on a finalized one', async () => {
    let overCounted = 0
    for (const list of LISTS) {
      const recent = url(list, 'exact', RECENT, RECENT)
      const [released, gated] = [await rowsOf(dp, recent), await rowsOf(kGate, recent)]
      expect(gated.release).toBe('k-threshold')
      expect(released.rows.map(strip), recent).toEqual(gated.rows.map(strip))
      if (list.path.startsWith('/engagement')) {
        expect(released.rows[0]).toMatchObject({ reached_25: null, reached_75: null })
      }
      // A finalized day: the k gate adds the stored rows' counts (visitors in two rows count twice).
      const old = url(list, 'exact', FINALIZED, FINALIZED)
      const byKey = (answer: ListAnswer) =>
        Object.fromEntries(
          answer.rows.map(({ visitors: _visitors, ...entry }) => [entry[list.key], strip(entry as Row)]),
        )
      const [releasedOld, gatedOld] = [await rowsOf(dp, old), await rowsOf(kGate, old)]
      expect(byKey(releasedOld), old).toEqual(byKey(gatedOld))
      for (const entry of releasedOld.rows) {
        const gate = gatedOld.rows.find((candidate) => candidate[list.key] === entry[list.key])
        expect(gate?.visitors, old).toBeGreaterThanOrEqual(entry.visitors)
        if ((gate?.visitors ?? 0) > entry.visitors) overCounted++
      }
    }
    // The devices, browsers, OS and countries of visitors seen from two sources, at least.
    expect(overCounted).toBeGreaterThanOrEqual(4)
  })

  it('with noise: within six published standard deviations of the truth, day by day and over the range', async () => {
    let checked = 0
    for (const list of LISTS) {
      for (const [from, to] of [
        ['2026-09-02', '2026-09-02'],
        [RECENT, RECENT],
        ['2026-09-02', RECENT],
      ] as const) {
        const path = url(list, 'noisy', from, to)
        const answer = await rowsOf(dp, path)
        const days = between(from, to)
        const truths = truth(NOISY, list.contributions, days)
        expect(truths.size, path).toBeGreaterThan(0)
        for (const [key, [figure, visitors]] of truths) {
          const entry = answer.rows.find((candidate) => String(candidate[list.key]) === key)
          if (!entry) {
            // Only a page the view's figure is truly 0 on may be left out (for showing 0).
            expect(list.dropsZero && figure === 0, `${path} ${key} is missing`).toBe(true)
            continue
          }
          checked++
          for (const [name, value] of [
            [list.figure, figure],
            ['visitors', visitors],
          ] as const) {
            const sd = entry.sd[name] ?? 0
            expect(sd, `${path} ${key} ${name}`).toBeGreaterThan(0)
            expect(Math.abs(Number(entry[name]) - value), `${path} ${key} ${name}`).toBeLessThan(6 * sd)
          }
        }
      }
    }
    // 28 keys in each of the three ranges, two of which are 0 by construction (no visit began on
    // `/a`, none ended on `/`).
    expect(checked).toBeGreaterThanOrEqual(3 * 26)
  })

  it('take one filter at a time, and only those the measurement was published with', async () => {
    const values = { source: 'search', device: 'mobile', country: 'DE' } as const
    for (const list of LISTS) {
      const groupings = measurement(list.measurement).groupings
      for (const [name, value] of Object.entries(values)) {
        const path = url(list, 'exact', DAYS[0], RECENT, `&${name}=${value}`)
        const answer = await read<{ error: string; field: string; release: string }>(dp.url, path)
        if (name in groupings) {
          expect(answer.status, path).toBe(200)
          expect(answer.body.release, path).toBe('differential-privacy')
        } else {
          expect(answer.status, path).toBe(400)
          expect(answer.body, path).toMatchObject({ error: 'unsupported_filter', field: name })
        }
      }
    }
    // Filtered: the cells published for that filter. Every visitor saw `/` from search, `/a` not.
    const pages = LISTS[0] as ListCase
    const search = await rowsOf(dp, url(pages, 'exact', DAYS[0], RECENT, '&source=search'))
    expect(shownOf(pages, search)).toEqual(new Map([['/', [150, 150]]]))
    const two = await read(dp.url, url(pages, 'exact', DAYS[0], RECENT, '&device=mobile&country=DE'))
    expect(two.status).toBe(400)
    expect(two.body).toMatchObject({ error: 'unsupported_filter', field: 'country' })
    expect(String(two.body.message)).toContain('one filter at a time')
  })
})

describe('the subtraction attack of issue 15 on the pages route', () => {
  const SENSITIVE = '/c/sensitive-category'
  const visitorsOn = (answer: ListAnswer, path: string) =>
    answer.rows.find((entry) => entry.path === path) as Row | undefined
  const pagesOf = (service: ReadService, site: string, filter = '') =>
    rowsOf(service, `/api/stats/pages?site=${site}&from=${RECENT}&to=${RECENT}${filter}`)

  it('yields the lone visitor through the k gate, and nothing from the released figures', async () => {
    // K_ANON=5: every group passes the gate, and one subtraction finds the visitor from AT.
    const all = visitorsOn(await pagesOf(kGate, 'attack'), SENSITIVE)
    const de = visitorsOn(await pagesOf(kGate, 'attack', '&country=DE'), SENSITIVE)
    expect([all?.visitors, de?.visitors]).toEqual([6, 5])
    // Released: groups this small never passed the noisy threshold; there is nothing to subtract.
    expect((await pagesOf(dp, 'attack')).rows).toEqual([])
    expect((await pagesOf(dp, 'attack', '&country=DE')).rows).toEqual([])
  })

  it('leaves the difference in a crowd buried in noise, and repeating the question changes nothing', async () => {
    const gateAll = visitorsOn(await pagesOf(kGate, 'crowd'), SENSITIVE)
    const gateDe = visitorsOn(await pagesOf(kGate, 'crowd', '&country=DE'), SENSITIVE)
    expect((gateAll?.visitors ?? 0) - (gateDe?.visitors ?? 0)).toBe(1)

    const first = [await pagesOf(dp, 'crowd'), await pagesOf(dp, 'crowd', '&country=DE')]
    const all = visitorsOn(first[0] as ListAnswer, SENSITIVE)
    const de = visitorsOn(first[1] as ListAnswer, SENSITIVE)
    if (!all || !de) throw new Error('the crowd is past the threshold: both rows are released')
    expect(Math.abs(all.visitors - 3_001)).toBeLessThan(6 * (all.sd.visitors ?? 0))
    expect(Math.abs(de.visitors - 3_000)).toBeLessThan(6 * (de.sd.visitors ?? 0))
    // The noise of the difference dwarfs the one visitor it would reveal.
    const differenceSd = Math.hypot(all.sd.visitors ?? 0, de.sd.visitors ?? 0)
    expect(differenceSd).toBeGreaterThan(100)
    // Asking again returns the same released figures: nothing to average away.
    for (let ask = 0; ask < 10; ask++) {
      expect([await pagesOf(dp, 'crowd'), await pagesOf(dp, 'crowd', '&country=DE')]).toEqual(first)
    }
  })
})
