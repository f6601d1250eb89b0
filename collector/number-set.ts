/**
 * A set of positive integers below 2^53 in one Float64Array (open addressing, linear probing, kept
 * at most half full), for memories that hold hundreds of thousands of hashes: 16–32 bytes an
 * entry where a `Set` of strings costs about 60 (the string, then the set's table).
 *
 * @example
 * const seen = createNumberSet()
 * seen.add(0x1234_5678_9abc) // true: new
 * seen.add(0x1234_5678_9abc) // false
 * seen.size // 1
 */
export type NumberSet = {
  /** Adds `value` (an integer in [1, 2^53)); true when it was not there yet. */
  add(value: number): boolean
  has(value: number): boolean
  /** Every value, in no particular order. */
  values(): Iterable<number>
  readonly size: number
  /** Bytes held by the table. */
  readonly bytes: number
}

const FIRST_CAPACITY = 64

/**
 * Two 32-bit words mixed into one, for a place in an open-addressing table (its low bits): the
 * values are hashes already, but multiples of the table's size must not pile up in one place.
 */
export const mix = (low: number, high: number): number => {
  const mixed = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b)
  return mixed ^ (mixed >>> 15)
}

export function createNumberSet(): NumberSet {
  // 0 marks an empty place, so 0 itself is not a value.
  let table = new Float64Array(FIRST_CAPACITY)
  let mask = FIRST_CAPACITY - 1
  let size = 0

  const placeOf = (value: number) => {
    const low = value % 0x1_0000_0000
    return mix(low, (value - low) / 0x1_0000_0000) & mask
  }

  const find = (value: number): number => {
    let at = placeOf(value)
    for (;;) {
      const held = table[at]
      if (held === 0 || held === value) return at
      at = (at + 1) & mask
    }
  }

  const grow = () => {
    const old = table
    table = new Float64Array(old.length * 2)
    mask = table.length - 1
    for (const value of old) if (value !== 0) table[find(value)] = value
  }

  return {
    add(value) {
      if (!(Number.isSafeInteger(value) && value > 0))
        throw new RangeError('a value is an integer in [1, 2^53)')
      const at = find(value)
      if (table[at] === value) return false
      table[at] = value
      size++
      if (size * 2 > table.length) grow()
      return true
    },
    has(value) {
      return value > 0 && table[find(value)] === value
    },
    *values() {
      for (const value of table) if (value !== 0) yield value
    },
    get size() {
      return size
    },
    get bytes() {
      return table.byteLength
    },
  }
}
