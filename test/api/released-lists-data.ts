import { releasePlan } from '../../aggregator/release/budget.ts'
import { MEASUREMENTS } from '../../aggregator/release/measurements.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { EventRow } from '../../schemas/row.ts'
import { row } from '../support/rows.ts'

/*
 * The data of released-lists.test.ts and the truth it is checked against: events as the
 * collector would insert them, and per list route the cell key and figure each event adds to,
 * from which the sum of daily unique visitors and of the counts is taken in plain code.
 */

export const K = 5
export const OFF = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), K)
// With noise at ε = 4 per visitor-day: at ε = 1 the lists are published mostly per week and month,
// and a day's list thresholds (about 8,900 visitors for entry pages) would need crowds too large
// for a quick test; the arithmetic being tested is the same at any ε.
export const ON = releasePlan(MEASUREMENTS, privacyFrom(4, 1e-7, false), K)
// Published at NOW; then the days before 09-03 lose their sketches (finalized), 09-03 keeps them.
export const DAYS = ['2026-09-01', '2026-09-02', '2026-09-03'] as const
export const FINALIZED = '2026-09-01'
export const RECENT = '2026-09-03'
export const NOW = new Date('2026-09-04T00:30:00Z')
export const SITES = ['exact', 'noisy', 'attack', 'crowd'] as const

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
    row({
      ...who,
      hour: at(9),
      type: 'engagement',
      path: '/',
      engaged_ms: 3000,
      scroll: v % 2 ? 60 : 100,
      entry_path: '/',
    }),
    row({ ...who, hour: at(9), type: 'custom', path: '/', name: 'newsletter' }),
  ]
  if (bouncer) return rows
  return [
    ...rows,
    row({ ...who, hour: at(10), path: '/a', prev_path: '/', bounce: -1 }),
    // Time on `/a` for every other reader: it belongs to the visit, which began on `/`.
    ...(v % 2 === 1
      ? [row({ ...who, hour: at(10), type: 'engagement', path: '/a', engaged_ms: 6000, entry_path: '/' })]
      : []),
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

const crowd = (site: string, days: readonly string[], size: (d: number) => number): EventRow[] =>
  days.flatMap((day, d) =>
    Array.from({ length: size(d) }, (_, v) =>
      visitorDay(site, day, String(1_000_000 * (d + 1) + v), v),
    ).flat(),
  )

// The exact site: 40, 50 and 60 visitors on the three days.
export const EXACT = crowd('exact', DAYS, (d) => 40 + 10 * d)
// The noisy site: a crowd past every list's day threshold at ε = 4 (the entry pages' is about 2,400
// visitors a day), each visitor doing everything, on a finalized and a recent day.
export const NOISY = DAYS.slice(1).flatMap((day, d) =>
  Array.from({ length: 7_000 }, (_, v) => {
    const who = { site: 'noisy', visitor: String(2_000_000 * (d + 1) + v), hour: `${day} 09:00:00` }
    return [
      row({ ...who, ...SEARCH, path: '/', entry: 1, bounce: 1, visitor_kind: v % 3 ? 'new' : 'returning' }),
      row({ ...who, type: 'engagement', path: '/', engaged_ms: 3000, scroll: 60, entry_path: '/' }),
      row({ ...who, path: '/a', prev_path: '/', bounce: -1 }),
      row({ ...who, type: 'engagement', path: '/a', engaged_ms: 6000, entry_path: '/' }),
      row({ ...who, type: 'outbound', path: '/a', link_target: 'partner.example' }),
      row({ ...who, type: 'download', path: '/a', link_target: '/files/a.pdf' }),
      row({ ...who, type: 'not_found', path: '/missing' }),
      row({ ...who, type: 'custom', path: '/a', name: 'newsletter' }),
    ]
  }).flat(),
)

/** The issue's attack: 20 DE visitors on /catalog, 5 of them also on the sensitive page, one from AT. */
export function attack(site: string, crowdSize: number, sensitive: number): EventRow[] {
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

/**
 * Per entry page, the mean engaged seconds of the visits begun there over `days`: each day's
 * engaged seconds (whole seconds of the day's milliseconds, as released) over the visits begun.
 */
export function visitDurations(rows: readonly EventRow[], days: readonly string[]): Map<string, number> {
  const ms = new Map<string, number>()
  const visits = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, amount: number) =>
    map.set(key, (map.get(key) ?? 0) + amount)
  for (const event of rows) {
    const day = event.hour.slice(0, 10)
    if (!days.includes(day)) continue
    if (event.type === 'engagement' && event.entry_path)
      add(ms, `${event.entry_path}\u0000${day}`, event.engaged_ms)
    if (event.type === 'pageview' && event.entry === 1) add(visits, event.path, 1)
  }
  const seconds = new Map<string, number>()
  for (const [key, total] of ms) add(seconds, key.split('\u0000')[0] as string, Math.floor(total / 1000))
  return new Map(
    [...visits].map(([path, count]) => [path, Math.round((seconds.get(path) ?? 0) / count)] as const),
  )
}

/** A cell key's contributions from one row: [key, amount]; amount 0 still counts its visitor. */
export type Contributions = (event: EventRow) => Array<[string, number]>

/** Per key: the summed amounts, and the sum over the days of each day's distinct visitors. */
export function truth(
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

export type ListCase = {
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

export const LISTS: readonly ListCase[] = [
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
