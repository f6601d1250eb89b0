import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createVisitorDaySlots } from '../../collector/visitor-day-slots.ts'

const hashes = (count: number) =>
  Array.from({ length: count }, () => randomBytes(8).readBigUInt64BE(0).toString())

describe('the day’s visitors as slots', () => {
  it('gives each site’s visitor one slot, the same on every look-up, through every growth of its table', () => {
    const slots = createVisitorDaySlots(200_000)
    const visitors = [...new Set([...hashes(100_000), '0', '1', '18446744073709551615', '10000000000'])]
    const first = visitors.map((visitor) => slots.slotOf('shop', visitor))
    expect(first).toEqual(visitors.map((_, at) => at))
    expect(visitors.map((visitor) => slots.slotOf('shop', visitor))).toEqual(first)
    // Another site's visitor with the same hash is another visitor-day.
    expect(slots.slotOf('other', visitors[0] ?? '')).toBe(visitors.length)
    expect(slots.size).toBe(visitors.length + 1)
  })

  it('tells apart hashes that share their last ten digits or their first', () => {
    const slots = createVisitorDaySlots(100)
    const alike = ['1234567890', '11234567890', '21234567890', '12345678901', '123456789012345678', '1']
    expect(alike.map((visitor) => slots.slotOf('shop', visitor))).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('holds a string of another form as itself: "007" is not "7", and "v1" is a visitor too', () => {
    const slots = createVisitorDaySlots(100)
    expect(['7', '007', 'v1', '', '123456789012345678901'].map((v) => slots.slotOf('shop', v))).toEqual([
      0, 1, 2, 3, 4,
    ])
    expect(slots.slotOf('shop', '007')).toBe(1)
    expect(slots.slotOf('other', 'v1')).toBe(5)
  })

  it('refuses a new visitor-day past its bound and still knows the ones it holds', () => {
    const slots = createVisitorDaySlots(3)
    expect(['1', '2', 'x'].map((v) => slots.slotOf('shop', v))).toEqual([0, 1, 2])
    expect(slots.slotOf('shop', '3')).toBeUndefined()
    expect(slots.slotOf('shop', 'y')).toBeUndefined()
    expect(slots.slotOf('shop', 'x')).toBe(2)
    expect(slots.slotOf('shop', '1')).toBe(0)
    expect(() => createVisitorDaySlots(0)).toThrow(RangeError)
  })

  it('holds 200,000 visitor-days in under 40 bytes each', () => {
    const slots = createVisitorDaySlots(200_000)
    for (const visitor of hashes(200_000)) slots.slotOf('shop', visitor)
    expect(slots.size).toBe(200_000)
    expect(slots.bytes / 200_000).toBeLessThan(40)
  })
})
