import { describe, expect, it } from 'vitest'
import { isPublicDomain, releasePlan } from '../../aggregator/release/budget.ts'
import { noiseCells } from '../../aggregator/release/cells.ts'
import { exactSql } from '../../aggregator/release/exact-sql.ts'
import { l2In, type Measure, type Measurement } from '../../aggregator/release/measure.ts'
import { MEASUREMENTS, measurement } from '../../aggregator/release/measurements.ts'
import { ROLLUPS } from '../../aggregator/rollups.ts'
import { epsilonFor, gaussianRho, seededRandom } from '../../core/dp/index.ts'
import { SOURCES } from '../../schemas/constants.ts'
import { EVENTS_PER_VISITOR_DAY, VISITS_PER_VISITOR_DAY } from '../../schemas/contribution.ts'
import { EVENT_TYPES } from '../../schemas/events.ts'
import { privacyFrom } from '../../schemas/privacy.ts'

const ON = releasePlan(MEASUREMENTS, privacyFrom(1, 1e-7, false), 5)

describe('the measurement list', () => {
  it('names rollups and plain columns only, and builds fixed SQL with parameters', () => {
    const rollups = new Set<string>(ROLLUPS.map((rollup) => rollup.table))
    const ids = MEASUREMENTS.map((entry) => entry.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const entry of MEASUREMENTS) {
      expect(rollups.has(entry.table), entry.id).toBe(true)
      for (const measure of entry.measures) {
        if (measure.table) expect(rollups.has(measure.table), `${entry.id}.${measure.name}`).toBe(true)
      }
      for (const grouping of Object.keys(entry.groupings)) {
        const sql = exactSql(entry, grouping as keyof Measurement['groupings'])
        expect(sql).toContain('site = {site:String}')
        expect(sql).toMatch(/\{day:Date\}|\{hour:DateTime\('UTC'\)\}/)
        expect(sql).not.toMatch(/\$\{|;/)
      }
    }
    expect(() => exactSql({ ...MEASUREMENTS[0], keys: ['path; DROP TABLE x'] } as Measurement, '')).toThrow(
      /not a plain identifier/,
    )
    const entry = MEASUREMENTS.find((item) => item.id === 'entry_exit') as Measurement
    const joined = (table: string) =>
      ({
        ...entry,
        measures: entry.measures.map((measure) => (measure.table ? { ...measure, table } : measure)),
      }) as Measurement
    expect(() => exactSql(joined('x; DROP TABLE y'), '')).toThrow(/not a plain identifier/)
  })

  it('joins a measure kept in a rollup of its own to the cells of the measurement', () => {
    const entry = MEASUREMENTS.find((item) => item.id === 'entry_exit') as Measurement
    expect(entry.measures.find((measure) => measure.name === 'engaged_seconds')).toMatchObject({
      table: 'entry_engaged_daily',
      l2: 3_600,
    })
    const sql = exactSql(entry, '')
    // The visitors (the threshold) come from the measurement's own rollup; the joined one adds
    // engaged seconds to the cells it has, by the same key, for the same site and day.
    expect(sql).toMatch(
      /^SELECT grouping_value, k1, k2, k3, m_visitors, [\s\S]*m_engaged_seconds\nFROM \(SELECT/,
    )
    expect(sql).toMatch(/uniqCombinedMerge\(visitors\) AS m_visitors[^\n]*\nFROM entry_exit_daily\n/)
    expect(sql).toMatch(
      /ANY LEFT JOIN \(SELECT '' AS grouping_value, path AS k1[^\n]*m_engaged_seconds\nFROM entry_engaged_daily\n/,
    )
    expect(sql.match(/site = \{site:String\} AND day = \{day:Date\}/g)).toHaveLength(2)
    expect(sql).toMatch(/\) AS joined\nUSING \(grouping_value, k1, k2, k3\)$/)
  })

  it('gives every grouping set that is not a public domain a visitors measure to threshold on', () => {
    for (const entry of MEASUREMENTS) {
      for (const grouping of Object.keys(entry.groupings) as Array<keyof Measurement['groupings']>) {
        if (isPublicDomain(entry, grouping)) continue
        expect(
          entry.measures.some((measure) => measure.kind === 'visitors'),
          `${entry.id} ${grouping}`,
        ).toBe(true)
      }
    }
  })
})

describe('the release plan', () => {
  it('spends no more than the day’s ρ, which converts back to ε at δ/2', () => {
    // Each measure's ρ recomputed from its sensitivity in its grouping set and the σ drawn.
    const spent = ON.groupings
      .flatMap((grouping) => grouping.measures.map((plan) => ({ plan, grouping: grouping.grouping })))
      .reduce(
        (sum, { plan, grouping }) =>
          sum + gaussianRho(l2In(plan.measure, grouping), (plan.noise as { sigma: number }).sigma),
        0,
      )
    expect(spent).toBeLessThanOrEqual(ON.rho * (1 + 1e-9))
    expect(spent).toBeGreaterThan(ON.rho * 0.999)
    expect(epsilonFor(ON.rho, 0.5e-7)).toBeCloseTo(1, 9)
  })

  it('thresholds every non-public grouping set at K_ANON or above, and publishes each stddev', () => {
    for (const grouping of ON.groupings) {
      if (isPublicDomain(grouping.measurement, grouping.grouping)) expect(grouping.threshold).toBeNull()
      else expect(grouping.threshold).toBeGreaterThanOrEqual(5)
      for (const plan of grouping.measures) expect(plan.stddev).toBeGreaterThan(0)
    }
  })

  it('keeps the count cards of a 1,000-visit-a-day shop within 2 % over 28 days at ε = 1', () => {
    // docs/privacy.md, "How close the overview's cards are": 28 days of the demo's traffic, a
    // visit per visitor-day and about 2.8 pageviews; the 95 % half-width of a 28-day sum of
    // day cells is 1.96·σ·√28.
    const sd = (id: string, name: string) =>
      ON.groupings
        .find((item) => item.measurement.id === id && item.grouping === '')
        ?.measures.find((plan) => plan.measure.name === name)?.stddev ?? Number.POSITIVE_INFINITY
    const halfWidth = (id: string, name: string, perDay: number) =>
      (1.96 * sd(id, name) * Math.sqrt(28)) / (28 * perDay)
    expect(halfWidth('totals', 'visitors', 1_000)).toBeLessThan(0.015)
    expect(halfWidth('totals', 'pageviews', 2_800)).toBeLessThan(0.02)
    expect(halfWidth('visits', 'visits', 1_000)).toBeLessThan(0.02)
    // Visits, entries and bounces take their sensitivity from the visits bound, not the pageviews'.
    const l2 = (id: string, name: string) => measurement(id).measures.find((m) => m.name === name)?.l2
    expect(l2('visits', 'visits')).toBe(VISITS_PER_VISITOR_DAY)
    expect(l2('visits', 'bounces')).toBe(VISITS_PER_VISITOR_DAY)
    expect(l2('entry_exit', 'entries')).toBe(VISITS_PER_VISITOR_DAY)
    expect(l2('visitor_kinds', 'visits')).toBe(VISITS_PER_VISITOR_DAY)
    expect(l2('totals', 'buyers')).toBe(1)
  })

  it('takes a figure by source to move up to one cell per source, and by device or country one', () => {
    // A visitor-day's hash is of one user agent and one address, so it has one device and one
    // country; each of its tabs keeps the source it landed from, so it may be in all of SOURCES.
    const plan = (id: string, name: string) =>
      measurement(id).measures.find((m) => m.name === name) as Measure
    for (const [id, name, one, bySource] of [
      ['totals', 'visitors', 1, Math.sqrt(SOURCES.length)],
      ['totals', 'buyers', 1, Math.sqrt(EVENTS_PER_VISITOR_DAY.purchase)],
      ['visits', 'visitors', 1, Math.sqrt(SOURCES.length)],
      // A visit's bounce and the second page that takes it back fall in one cell but by source.
      ['visits', 'bounces', VISITS_PER_VISITOR_DAY, Math.SQRT2 * VISITS_PER_VISITOR_DAY],
      ['traffic', 'visitors', Math.sqrt(EVENT_TYPES.length), Math.sqrt(EVENT_TYPES.length * SOURCES.length)],
    ] as const) {
      expect(l2In(plan(id, name), ''), `${id}.${name}`).toBeCloseTo(one, 9)
      expect(l2In(plan(id, name), 'device'), `${id}.${name}`).toBeCloseTo(one, 9)
      expect(l2In(plan(id, name), 'source'), `${id}.${name}`).toBeCloseTo(bySource, 9)
    }
    // The plan noises and thresholds the source grouping with it.
    const sd = (grouping: string) =>
      ON.groupings
        .find((item) => item.measurement.id === 'totals' && item.grouping === grouping)
        ?.measures.find((item) => item.measure.name === 'visitors')?.stddev ?? 0
    expect(sd('source') / sd('device')).toBeCloseTo(Math.sqrt(SOURCES.length), 1)
    // A list's visitors already count a cell per event, whatever the filter.
    expect(l2In(plan('pages', 'visitors'), 'source')).toBe(plan('pages', 'visitors').l2)
  })

  it('adds no noise and thresholds at K_ANON with DP off', () => {
    const off = releasePlan(MEASUREMENTS, privacyFrom('off', 1e-7, false), 5)
    expect(off.rho).toBe(0)
    for (const grouping of off.groupings) {
      for (const plan of grouping.measures) expect(plan).toMatchObject({ noise: null, stddev: 0 })
      if (!isPublicDomain(grouping.measurement, grouping.grouping)) expect(grouping.threshold).toBe(5)
    }
  })
})

describe('noising cells', () => {
  const pages = ON.groupings.find((item) => item.measurement.id === 'pages' && item.grouping === '')
  const traffic = ON.groupings.find((item) => item.measurement.id === 'traffic' && item.grouping === '')

  it('releases a cell only past the threshold, with integer noise drawn once per measure', () => {
    if (!pages?.threshold) throw new Error('pages has a threshold')
    const cell = (k1: string, visitors: number) => ({
      grouping_value: '',
      k1,
      k2: '',
      k3: '',
      m_pageviews: visitors * 2,
      m_visitors: visitors,
    })
    const big = pages.threshold * 3
    const { rows, released, heldBack } = noiseCells(
      pages,
      [cell('/big', big), cell('/one', 1)],
      seededRandom('c'),
    )
    expect({ released, heldBack }).toEqual({ released: 1, heldBack: 1 })
    expect(rows.map((item) => [item.k1, item.measure])).toEqual([
      ['/big', 'pageviews'],
      ['/big', 'visitors'],
    ])
    for (const item of rows) expect(Number.isInteger(item.value)).toBe(true)
    expect(rows[1]?.value).not.toBe(big)
  })

  it('releases every value of a public domain, the missing ones as noisy zeros, and drops others', () => {
    if (!traffic) throw new Error('traffic is planned')
    const { rows } = noiseCells(
      traffic,
      [{ grouping_value: '', k1: 'not-a-type', k2: '', k3: '', m_events: 3, m_visitors: 3 }],
      seededRandom('d'),
    )
    const types = new Set(rows.map((item) => item.k1))
    expect([...types].sort()).toEqual([...(traffic.measurement.domain ?? [])].sort())
  })
})
