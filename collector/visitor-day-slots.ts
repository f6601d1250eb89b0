import { mix } from './number-set.ts'

/**
 * The day's visitors of each site as dense slot numbers 0, 1, 2…, for per-visitor-day counts kept
 * in typed arrays (contribution-bound.ts). A visitor hash is the pipeline's decimal string of 64
 * bits (visitor-hash.ts); it is held as two numbers (its digits before the last ten, and the last
 * ten), both exact in a double, so two visitors never share a slot. A string of any other form (a
 * test's 'v1') is held as itself in a map on the side.
 *
 * About 20 bytes a visitor-day where a `Map` from the hash string cost about 80 (the string, then
 * the map's table): the table is most of a busy collector's memory (docs/performance.md).
 *
 * @example
 * const slots = createVisitorDaySlots(200_000)
 * slots.slotOf('shop', '12345678901234567890') // 0
 * slots.slotOf('shop', '42') // 1
 * slots.slotOf('shop', '12345678901234567890') // 0
 */
export type VisitorDaySlots = {
  /** The slot of a site's visitor: known, new, or undefined when `max` visitor-days are held. */
  slotOf(site: string, visitor: string): number | undefined
  /** Visitor-days held: the slots are 0 … size − 1. */
  readonly size: number
  /** Bytes held by the typed arrays. */
  readonly bytes: number
}

const FIRST_SLOTS = 1024
const TAIL_DIGITS = 10

export function createVisitorDaySlots(max: number): VisitorDaySlots {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer')
  const sites = new Map<string, number>()
  const others = new Map<string, number>()
  let size = 0
  // Per slot: its site's number and the visitor's two halves.
  let siteOf = new Int32Array(FIRST_SLOTS)
  let heads = new Float64Array(FIRST_SLOTS)
  let tails = new Float64Array(FIRST_SLOTS)
  // Open addressing over the slots, at most half full: slot + 1 at a place, 0 where empty.
  let places = new Int32Array(FIRST_SLOTS * 2)
  let mask = places.length - 1
  // The halves of the visitor being looked up, set by `split`.
  let head = 0
  let tail = 0

  /** Splits a canonical decimal string of at most 20 digits into `head` and `tail`. */
  const split = (visitor: string): boolean => {
    const length = visitor.length
    if (length === 0 || length > 20 || (length > 1 && visitor.charCodeAt(0) === 48)) return false
    const cut = length > TAIL_DIGITS ? length - TAIL_DIGITS : 0
    head = 0
    tail = 0
    for (let at = 0; at < length; at++) {
      const digit = visitor.charCodeAt(at) - 48
      if (digit < 0 || digit > 9) return false
      if (at < cut) head = head * 10 + digit
      else tail = tail * 10 + digit
    }
    return true
  }

  const placeOf = (site: number, first: number, last: number) =>
    mix(last % 0x1_0000_0000, first ^ site) & mask

  /** The place of (site, head, tail): where its slot is, or the empty place it would take. */
  const find = (site: number, first: number, last: number): number => {
    let at = placeOf(site, first, last)
    for (;;) {
      const held = (places[at] ?? 0) - 1
      if (held < 0 || (tails[held] === last && heads[held] === first && siteOf[held] === site)) return at
      at = (at + 1) & mask
    }
  }

  const grow = () => {
    const capacity = Math.min(heads.length * 2, max)
    const moreSites = new Int32Array(capacity)
    moreSites.set(siteOf)
    siteOf = moreSites
    const moreHeads = new Float64Array(capacity)
    moreHeads.set(heads)
    heads = moreHeads
    const moreTails = new Float64Array(capacity)
    moreTails.set(tails)
    tails = moreTails
    if (capacity * 2 > places.length) {
      places = new Int32Array(places.length * 2)
      mask = places.length - 1
      for (let slot = 0; slot < size; slot++) {
        if (heads[slot] === -1) continue
        places[find(siteOf[slot] ?? 0, heads[slot] ?? 0, tails[slot] ?? 0)] = slot + 1
      }
    }
  }

  const slotOf = (site: string, visitor: string): number | undefined => {
    let siteNumber = sites.get(site)
    if (siteNumber === undefined) {
      siteNumber = sites.size
      sites.set(site, siteNumber)
    }
    if (!split(visitor)) {
      // Not a pipeline's hash: its slot is held by name, and its halves are marked unused (-1).
      const name = `${siteNumber}\u0000${visitor}`
      const known = others.get(name)
      if (known !== undefined || size >= max) return known
      if (size === heads.length) grow()
      others.set(name, size)
      heads[size] = -1
      tails[size] = -1
      return size++
    }
    const at = find(siteNumber, head, tail)
    const held = (places[at] ?? 0) - 1
    if (held >= 0) return held
    if (size >= max) return undefined
    if (size === heads.length) {
      grow()
      return slotOf(site, visitor)
    }
    siteOf[size] = siteNumber
    heads[size] = head
    tails[size] = tail
    places[at] = size + 1
    return size++
  }

  return {
    slotOf,
    get size() {
      return size
    },
    get bytes() {
      return siteOf.byteLength + heads.byteLength + tails.byteLength + places.byteLength
    },
  }
}
