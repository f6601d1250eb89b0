import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addDays, daysBetween, periodEnd } from '../../core/periods.ts'
import { publishedTiles, type Tile, tiles } from '../../warehouse/released/tiles.ts'

const show = (list: Tile[]) => list.map((tile) => `${tile.grain} ${tile.day}`)

describe('tiles(from, to)', () => {
  it('answers a whole month with its month, and the rest with ISO weeks and days', () => {
    // 2026-10-28 is a Wednesday; November 2026 starts on a Sunday; 2026-11-30 is a Monday.
    expect(show(tiles('2026-10-28', '2026-12-13'))).toEqual([
      'day 2026-10-28',
      'day 2026-10-29',
      'day 2026-10-30',
      'day 2026-10-31',
      'month 2026-11-01',
      'day 2026-12-01',
      'day 2026-12-02',
      'day 2026-12-03',
      'day 2026-12-04',
      'day 2026-12-05',
      'day 2026-12-06',
      'week 2026-12-07',
    ])
  })

  it('crosses a month boundary with a week when no month is whole', () => {
    // Monday 2026-11-30 to Sunday 2026-12-06: one week across two months.
    expect(show(tiles('2026-11-29', '2026-12-07'))).toEqual([
      'day 2026-11-29',
      'week 2026-11-30',
      'day 2026-12-07',
    ])
  })

  it('answers a range shorter than a week, or a week not aligned to Monday, with days', () => {
    expect(show(tiles('2026-12-01', '2026-12-03'))).toEqual([
      'day 2026-12-01',
      'day 2026-12-02',
      'day 2026-12-03',
    ])
    // Tuesday to Monday: seven days, no whole ISO week.
    expect(tiles('2026-12-01', '2026-12-07').every((tile) => tile.grain === 'day')).toBe(true)
    expect(show(tiles('2026-12-05', '2026-12-05'))).toEqual(['day 2026-12-05'])
    expect(tiles('2026-12-06', '2026-12-05')).toEqual([])
  })

  it('covers the last 30 days with four weeks and two days', () => {
    const result = tiles('2026-11-02', '2026-12-01')
    expect(result.filter((tile) => tile.grain === 'week').map((tile) => tile.day)).toEqual([
      '2026-11-02',
      '2026-11-09',
      '2026-11-16',
      '2026-11-23',
    ])
    expect(result.filter((tile) => tile.grain === 'day').map((tile) => tile.day)).toEqual([
      '2026-11-30',
      '2026-12-01',
    ])
  })

  it('puts every day of any range in exactly one tile, each tile inside the range', () => {
    const day = fc.integer({ min: 0, max: 800 }).map((n) => addDays('2025-12-01', n))
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 120 }), (from, length) => {
        const to = addDays(from, length)
        const covered = tiles(from, to).flatMap((tile) =>
          daysBetween(tile.day, periodEnd(tile.grain, tile.day)),
        )
        expect(covered.sort()).toEqual(daysBetween(from, to))
      }),
    )
  })
})

describe('publishedTiles', () => {
  it('splits a month or week not yet published into the smaller grains over its own days', () => {
    const published = new Set(['week|2026-11-02', 'week|2026-11-23'])
    const result = publishedTiles('2026-11-01', '2026-11-30', (tile) =>
      published.has(`${tile.grain}|${tile.day}`),
    )
    expect(show(result)).toEqual([
      'day 2026-11-01',
      'week 2026-11-02',
      ...daysBetween('2026-11-09', '2026-11-22').map((day) => `day ${day}`),
      'week 2026-11-23',
      'day 2026-11-30',
    ])
    // All published: November is one month.
    expect(show(publishedTiles('2026-11-01', '2026-11-30', () => true))).toEqual(['month 2026-11-01'])
  })
})
