import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utcDay, utcHour } from '../../core/clock.ts'
import { EventRow } from '../../schemas/row.ts'

describe('utcDay / utcHour', () => {
  it('formats in UTC, whatever offset the instant was written with', () => {
    const now = new Date('2024-03-10T23:59:59.999-05:00')
    expect(utcDay(now)).toBe('2024-03-11')
    expect(utcHour(now)).toBe('2024-03-11 04:00:00')
  })

  it('ignores the process time zone', () => {
    const saved = process.env.TZ
    // A half-hour offset that also crosses midnight would show any local-time formatting.
    process.env.TZ = 'Asia/Kolkata'
    try {
      const now = new Date(Date.UTC(2024, 5, 30, 20, 45))
      expect(now.getHours()).toBe(2)
      expect(utcDay(now)).toBe('2024-06-30')
      expect(utcHour(now)).toBe('2024-06-30 20:00:00')
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('truncates to the hour, never rounds', () => {
    expect(utcHour(new Date(Date.UTC(2025, 0, 1, 0, 59, 59, 999)))).toBe('2025-01-01 00:00:00')
    expect(utcHour(new Date(Date.UTC(2025, 11, 31, 23, 0, 0)))).toBe('2025-12-31 23:00:00')
  })

  it('produces the hour format the event row accepts', () => {
    const hour = utcHour(new Date(Date.UTC(2026, 1, 28, 7, 30)))
    expect(EventRow.shape.hour.safeParse(hour).success).toBe(true)
  })

  it('rejects an invalid date rather than emitting garbage', () => {
    expect(() => utcDay(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => utcHour(new Date(Number.NaN))).toThrow(RangeError)
  })

  it('answers as the ISO form does whatever instants came before, across hours, days and 1970', () => {
    const fresh = (now: Date) => {
      const iso = now.toISOString()
      return [iso.slice(0, 10), `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`]
    }
    const near = fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 })
    const instant = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      near,
      near.map((offset) => Date.UTC(2026, 2, 1) + offset),
      fc.constantFrom(-1, 0, 3_599_999, 3_600_000, 86_399_999, 86_400_000, Date.UTC(2026, 0, 1) - 1),
    )
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (instants) => {
        for (const t of instants) {
          const now = new Date(t)
          expect([utcDay(now), utcHour(now)]).toEqual(fresh(now))
        }
      }),
      { numRuns: 2000 },
    )
  })
})
