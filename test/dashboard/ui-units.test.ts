import { describe, expect, it } from 'vitest'
import { offerDecisions } from '../../api/recommend/decision.ts'
import { csvCell, toCsv } from '../../dashboard/client/csv.ts'
import { type Arm, callOn, summaryColumns, summaryRow } from '../../dashboard/client/insights-table.ts'
import { noiseMargin, sdOf } from '../../dashboard/client/noise.ts'
import { privacyLine } from '../../dashboard/client/privacy-line.ts'
import {
  type Column,
  cellValue,
  formatValue,
  type Row,
  withNoiseColumns,
} from '../../dashboard/client/table.ts'
import { viewFilters } from '../../dashboard/routes.tsx'
import { createSession, SESSION_SECONDS, sameSecret, validSession } from '../../dashboard/session.ts'
import { apiQuery, parseState, previousRange, stateQuery } from '../../dashboard/state.ts'

const TOKEN = 'a-dashboard-token-of-some-length'
const NOW = new Date('2026-11-25T12:00:00Z')
const SITES = ['demo', 'other']
const state = (query: string) => parseState(new URLSearchParams(query), SITES, '2026-11-25')

describe('the URL state', () => {
  it('reads presets as ranges ending today, in UTC days', () => {
    expect(state('')).toMatchObject({ site: 'demo', range: '30d', from: '2026-10-27', to: '2026-11-25' })
    expect(state('site=other&range=7d')).toMatchObject({
      site: 'other',
      from: '2026-11-19',
      to: '2026-11-25',
    })
    expect(state('range=today')).toMatchObject({ from: '2026-11-25', to: '2026-11-25' })
  })

  it('reads yesterday, this month, last month and 12 months as calendar ranges', () => {
    expect(state('range=yesterday')).toMatchObject({ from: '2026-11-24', to: '2026-11-24' })
    expect(state('range=month')).toMatchObject({ from: '2026-11-01', to: '2026-11-25' })
    expect(state('range=last-month')).toMatchObject({ from: '2026-10-01', to: '2026-10-31' })
    expect(state('range=12m')).toMatchObject({ from: '2025-11-26', to: '2026-11-25' })
    expect(parseState(new URLSearchParams('range=last-month'), SITES, '2026-03-01')).toMatchObject({
      from: '2026-02-01',
      to: '2026-02-28',
    })
  })

  it('keeps a custom range, put in order, not past today and at most 400 days long', () => {
    expect(state('range=custom&from=2026-11-10&to=2026-11-01')).toMatchObject({
      from: '2026-11-01',
      to: '2026-11-10',
    })
    expect(state('from=2026-11-01&to=2026-12-31')).toMatchObject({ range: 'custom', to: '2026-11-25' })
    expect(state('range=custom&from=2020-01-01&to=2026-11-25').from).toBe('2025-10-22')
    expect(state('range=custom&from=nonsense&to=2026-11-25')).toMatchObject({ range: '30d' })
  })

  it('keeps only valid filters and an allowed site, and writes back what it read', () => {
    const read = state('site=evil&device=mobile&source=paid&country=de&category=brakes&junk=1')
    expect(read).toMatchObject({
      site: 'demo',
      device: 'mobile',
      source: 'paid',
      country: '',
      category: 'brakes',
    })
    expect(stateQuery(read).toString()).toBe('site=demo&range=30d&source=paid&device=mobile&category=brakes')
    expect(parseState(stateQuery(read), SITES, '2026-11-25')).toEqual(read)
    expect(apiQuery(read).toString()).toBe(
      'site=demo&from=2026-10-27&to=2026-11-25&source=paid&device=mobile&category=brakes',
    )
    expect(previousRange(read)).toEqual({ from: '2026-09-27', to: '2026-10-26' })
  })
})

describe('the session cookie', () => {
  it('holds a signed expiry, not the token, and fails on any change', () => {
    const session = createSession(TOKEN, NOW)
    expect(session).not.toContain(TOKEN)
    expect(validSession(session, TOKEN, NOW)).toBe(true)
    expect(validSession(session, `${TOKEN}x`, NOW)).toBe(false)
    expect(validSession(session, TOKEN, new Date(NOW.getTime() + SESSION_SECONDS * 1000 + 1))).toBe(false)
    const [version, epoch, expires, mac] = session.split('.')
    expect(validSession(`${version}.${epoch}.${Number(expires) + 3600}.${mac}`, TOKEN, NOW)).toBe(false)
    // Signing out advances the epoch: a session signed under an earlier one is over.
    expect(validSession(session, TOKEN, NOW, 1)).toBe(false)
    expect(validSession(`${version}.1.${expires}.${mac}`, TOKEN, NOW, 1)).toBe(false)
    expect(validSession(createSession(TOKEN, NOW, 1), TOKEN, NOW, 1)).toBe(true)
    expect(validSession(undefined, TOKEN, NOW)).toBe(false)
    expect(validSession(session, undefined, NOW)).toBe(false)
    expect(sameSecret('abc', 'abc')).toBe(true)
    expect(sameSecret('abc', 'abcd')).toBe(false)
  })
})

describe('CSV', () => {
  it('quotes what needs quoting and never lets a cell run as a spreadsheet formula', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"')
    expect(csvCell('-1')).toBe("'-1")
    // After leading whitespace, and in full-width forms, a spreadsheet still reads a formula.
    for (const formula of [
      ' =1+1',
      '  @SUM(A1)',
      '\u3000=1',
      '\u200b=1',
      '\u00a0+1',
      '＝1+1',
      '＋1',
      '－1',
      '＠x',
      ' \t=1',
      '|cmd',
    ])
      expect(csvCell(formula), JSON.stringify(formula)).toBe(`'${formula}`)
    for (const plain of ['a =1', 'brakes', '/p/1', ' plain', '１２']) expect(csvCell(plain)).toBe(plain)
    expect(csvCell(-1)).toBe('-1')
    expect(csvCell(null)).toBe('')
    expect(toCsv([{ key: 'a', label: 'A' }], [[1], ['x\ny']])).toBe('A\r\n1\r\n"x\ny"\r\n')
  })
})

describe('the recommendation call', () => {
  it('is the API’s decision at the configured level: two variants to compare and P(best) at the level', () => {
    const rows = (offer: string, ...chances: number[]) =>
      chances.map((prob_best) => ({ offer_id: offer, prob_best }))
    expect(offerDecisions(rows('a', 1), 0.95).get('a')).toBe('alone')
    expect(offerDecisions(rows('a', 0.96, 0.04), 0.95).get('a')).toBe('recommended')
    expect(offerDecisions(rows('a', 0.95, 0.05), 0.95).get('a')).toBe('recommended')
    expect(offerDecisions(rows('a', 0.9, 0.1), 0.95).get('a')).toBe('leading')
    // RECOMMEND_PROB_BEST=0.9 recommends what the default of 0.95 only calls leading.
    expect(offerDecisions(rows('a', 0.9, 0.1), 0.9).get('a')).toBe('recommended')
    // Each offer on its own, as /api/v1/recommend decides it for one offer.
    const mixed = offerDecisions([...rows('a', 0.97, 0.01), ...rows('b', 0.02)], 0.95)
    expect(Object.fromEntries(mixed)).toEqual({ a: 'recommended', b: 'alone' })
  })

  it('is shown as the API made it, with the configured level, never re-derived from P(best)', () => {
    const arm = (variant: string, prob_best: number, decision: Arm['decision'], is_best: boolean) =>
      ({ offer_id: 'spring', variant, prob_best, decision, is_best, conversion_rate: 0.1 }) as Arm
    // P(best) 0.91 under RECOMMEND_PROB_BEST=0.9: the API says recommended, and so does the page.
    const arms = [arm('b', 0.91, 'recommended', true), arm('control', 0.09, 'recommended', false)]
    expect(callOn(arms)).toBe('recommended')
    const segment = {
      segment: 's',
      device: '*',
      country: '*',
      source: '*',
      category: '*',
      visitors: 50,
      suppressed: 0,
    }
    const row = summaryRow({ ...segment, arms })
    expect(row).toMatchObject({ verdict: 'recommended', confident: true, prob_best: 0.91 })
    const callColumn = summaryColumns(1, 0.9).find((column) => column.key === 'verdict')
    expect(callColumn?.value?.(row)).toBe('Recommended: P(best) ≥ 90%')
    // The same figures with the API's `leading` stay leading: the page applies no rule of its own.
    const leading = summaryRow({
      ...segment,
      arms: arms.map((one) => ({ ...one, decision: 'leading' as const })),
    })
    expect(leading).toMatchObject({ verdict: 'leading', confident: false })
    expect(
      summaryColumns(1, 0.975)
        .find((column) => column.key === 'verdict')
        ?.value?.(leading),
    ).toBe('Leading: P(best) under 97.5%, not yet clear')
    expect(callOn([])).toBe('alone')
  })
})

describe('the filters a view accepts', () => {
  it('come from the OpenAPI document of the read API', () => {
    const parameter = (name: string) => ({ name, in: 'query' })
    expect(
      viewFilters({
        paths: {
          '/api/stats/pages': {
            get: {
              parameters: ['site', 'from', 'to', 'source', 'device', 'country', 'limit'].map(parameter),
            },
          },
          '/api/stats/products': { get: { parameters: ['site', 'category', 'country'].map(parameter) } },
          '/api/v1/offers': { get: { parameters: ['site', 'segment'].map(parameter) } },
        },
      }),
    ).toEqual({ pages: ['source', 'device', 'country'], products: ['country', 'category'] })
  })

  it('with released figures, are those of the released form where a view has one', () => {
    const parameter = (name: string) => ({ name, in: 'query' })
    const document = {
      paths: {
        '/api/stats/pages': {
          get: {
            parameters: ['site', 'source', 'device', 'country'].map(parameter),
            'x-released-filters': ['source', 'device', 'country'],
          },
        },
        '/api/stats/products': {
          get: { parameters: ['site', 'category', 'country'].map(parameter), 'x-released-filters': [] },
        },
        '/api/stats/custom-props': { get: { parameters: ['site', 'source'].map(parameter) } },
        '/api/stats/sources': {
          get: {
            parameters: ['site', 'source', 'device', 'country', 'by'].map(parameter),
            'x-released-filters': ['device', 'country'],
            'x-released-filters-by': { param: 'by', values: { source: ['device'], utm_source: [] } },
          },
        },
      },
    }
    expect(viewFilters(document, true)).toEqual({
      pages: ['source', 'device', 'country'],
      products: [],
      'custom-props': ['source'],
      sources: ['device', 'country'],
      'sources?by=source': ['device'],
      'sources?by=utm_source': [],
    })
    // Served by the k gate (DP off), every view takes what its parameters hold.
    expect(viewFilters(document, false).products).toEqual(['country', 'category'])
  })
})

describe('the privacy line under the overview', () => {
  const noisy = { mechanism: 'discrete-gaussian', epsilon: 1, delta: 1e-7 } as const
  it('says a view served by the k gate is not yet the private release, naming ε and δ', () => {
    const line = privacyLine({ privacy: noisy, release: 'k-threshold' }, 5)
    expect(line).toContain('fewer than 5 visitors')
    expect(line).toContain('not yet the differentially private release (ε = 1, δ = 1e-7 per visitor-day)')
  })
  it('states the guarantee only on released figures', () => {
    expect(privacyLine({ privacy: noisy, release: 'differential-privacy' }, 5)).toBe(
      'Differentially private figures: ε = 1, δ = 1e-7 per visitor-day.',
    )
  })
  it('is loud when noise is off, and empty when the answer states nothing', () => {
    const off = { mechanism: 'off', epsilon: null, delta: null, warning: 'w' } as const
    expect(privacyLine({ privacy: off, release: 'k-threshold' }, 5)).toContain('not differentially private')
    expect(privacyLine({}, 5)).toBe('')
  })
})

describe('the ± of a differentially private figure', () => {
  it('shows the 95 % half-width only where the noise exceeds 1 % of the figure', () => {
    // 1.96 × 13.9 ≈ 27.2: more than 1 % of 1,000, less than 1 % of 30,000.
    expect(noiseMargin(1_000, 13.9)).toBeCloseTo(27.244, 3)
    expect(noiseMargin(30_000, 13.9)).toBeNull()
    expect(noiseMargin(2_724, 13.9)).toBeCloseTo(27.244, 3)
    expect(noiseMargin(2_725, 13.9)).toBeNull()
    // No noise stated (the k gate), none added (DP off), or no figure: nothing to show.
    expect(noiseMargin(1_000, undefined)).toBeNull()
    expect(noiseMargin(1_000, 0)).toBeNull()
    expect(noiseMargin(null, 5)).toBeNull()
    // A figure that the noise took to zero is all noise.
    expect(noiseMargin(0, 5)).toBeCloseTo(9.8, 5)
  })

  it('reads the row’s stated noise by figure name, and nothing else', () => {
    expect(sdOf({ visitors: 10, sd: { visitors: 3.5 } }, 'visitors')).toBe(3.5)
    expect(sdOf({ visitors: 10, sd: { visitors: 3.5 } }, 'pageviews')).toBeUndefined()
    expect(sdOf({ visitors: 10 }, 'visitors')).toBeUndefined()
    expect(sdOf({ visitors: 10, sd: { visitors: '3' } }, 'visitors')).toBeUndefined()
  })
})

describe('the CSV of a differentially private answer', () => {
  it('adds a noise column after each figure that states its noise, and none otherwise', () => {
    const columns: Column[] = [
      { key: 'path', label: 'Page', kind: 'text' },
      { key: 'visitors', label: 'Visitors', kind: 'int' },
      { key: 'pageviews', label: 'Pageviews', kind: 'int' },
    ]
    const noisy = [{ path: '/', visitors: 900, pageviews: 2000, sd: { visitors: 120.5 } }]
    const out = withNoiseColumns(columns, noisy)
    expect(out.map((column) => column.label)).toEqual(['Page', 'Visitors', 'Visitors noise sd', 'Pageviews'])
    expect(out.map((column) => cellValue(column, noisy[0] as Row))).toEqual(['/', 900, 120.5, 2000])
    expect(withNoiseColumns(columns, [{ path: '/', visitors: 9, pageviews: 20 }])).toEqual(columns)
  })
})

describe('a duration column (entry pages’ visit duration)', () => {
  it('shows seconds as the overview’s duration card does, and keeps its raw value and noise in the CSV', () => {
    expect(formatValue('duration', 42)).toBe('42 s')
    expect(formatValue('duration', 125)).toBe('2 min 05 s')
    expect(formatValue('duration', 3_725)).toBe('1 h 02 min')
    expect(formatValue('duration', null)).toBe('–')
    const columns: Column[] = [
      { key: 'path', label: 'Page', kind: 'text' },
      { key: 'visit_duration', label: 'Visit duration', kind: 'duration' },
    ]
    const released = [{ path: '/', visit_duration: 125, sd: { visit_duration: 3.6 } }]
    const out = withNoiseColumns(columns, released)
    expect(out.map((column) => column.label)).toEqual(['Page', 'Visit duration', 'Visit duration noise sd'])
    expect(out.map((column) => cellValue(column, released[0] as Row))).toEqual(['/', 125, 3.6])
    // The k gate states no noise: no noise column.
    expect(withNoiseColumns(columns, [{ path: '/', visit_duration: 125 }])).toEqual(columns)
  })
})
