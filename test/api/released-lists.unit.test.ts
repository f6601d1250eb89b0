import { describe, expect, it } from 'vitest'
import {
  customEventRows,
  engagementRows,
  entryPageRows,
  exitPageRows,
  linkRows,
  visitorKindRows,
} from '../../api/released-engagement.ts'
import { pageviewList, ratio, share } from '../../api/released-lists.ts'
import type { ReleasedCell } from '../../warehouse/released/cells.ts'
import { sumByKey } from '../../warehouse/released/figures.ts'

/*
 * The list views as post-processing of released cells (api/released-lists.ts,
 * api/released-engagement.ts), on hand-made cells: sums over days rounded once, noise added in
 * variance, ratios from the summed values, rows shown as 0 visitors left out, the k gate's order.
 * Over HTTP, from published cells: released-lists.test.ts.
 */

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
        cell(day, '/', 'engaged_seconds', 300.6, 50),
      ]),
      // No visit began here (shown 0): not an entry page; its exits make it an exit page.
      cell('2026-09-01', '/a', 'entries', 0.3, 2),
      cell('2026-09-01', '/a', 'exits', 8, 2),
      cell('2026-09-01', '/a', 'pageviews', 8, 2),
      cell('2026-09-01', '/a', 'visitors', 8, 2),
    ])
    const entries = entryPageRows(sums)
    // 10.8 / 20.8, not 11 / 21; 601.2 engaged seconds over 20.8 visits, 28.9 s, shown in whole seconds.
    expect(entries).toEqual([
      {
        path: '/',
        visits: 21,
        bounce_rate: 0.5192,
        visit_duration: 29,
        visitors: 20,
        sd: { visits: 2.8, visitors: 2.8, bounce_rate: expect.any(Number), visit_duration: 5.2 },
      },
    ])
    expect(entries[0]?.sd.bounce_rate).toBeCloseTo(Math.sqrt(8 + (10.8 / 20.8) ** 2 * 8) / 20.8, 4)
    // The delta method: engaged seconds' variance 2 × 50², visits' 2 × 2².
    expect(Math.sqrt(2 * 50 ** 2 + (601.2 / 20.8) ** 2 * 8) / 20.8).toBeCloseTo(5.2, 1)
    // A page whose time noised below 0 shows 0 s, never a negative duration.
    const [negative] = entryPageRows(
      sumByKey([
        cell('d', '/', 'entries', 40, 2),
        cell('d', '/', 'visitors', 30, 2),
        cell('d', '/', 'engaged_seconds', -90, 50),
      ]),
    )
    expect(negative).toMatchObject({ visit_duration: 0, sd: { visit_duration: 1.3 } })
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
