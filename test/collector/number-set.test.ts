import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createNumberSet } from '../../collector/number-set.ts'

describe('a set of numbers', () => {
  it('holds each value once, through every growth of its table', () => {
    const set = createNumberSet()
    const values = Array.from({ length: 50_000 }, () => randomBytes(6).readUIntBE(0, 6) || 1)
    // Multiples of a power of two would pile up in one place of a table keyed by their low bits.
    values.push(...Array.from({ length: 5_000 }, (_, at) => (at + 1) * 2 ** 32))
    const distinct = new Set(values)
    let added = 0
    for (const value of values) if (set.add(value)) added++
    expect(added).toBe(distinct.size)
    expect(set.size).toBe(distinct.size)
    expect(values.every((value) => set.has(value))).toBe(true)
    expect(set.has(12345.5)).toBe(false)
    expect(new Set(set.values())).toEqual(distinct)
    // At most half full, and never more than four times that: 32 bytes a value.
    expect(set.bytes / set.size).toBeLessThanOrEqual(32)
  })

  it('refuses 0, fractions, negatives and numbers past 2^53', () => {
    const set = createNumberSet()
    for (const value of [0, -1, 1.5, 2 ** 53, Number.NaN]) expect(() => set.add(value)).toThrow(RangeError)
    expect(set.has(0)).toBe(false)
    expect(set.size).toBe(0)
  })
})
