// @ts-check
/**
 * The traffic model's one source of randomness: seeded, so a run can be repeated event for event.
 * Plain JavaScript with no imports, so that k6 (`load/ingest.js`) loads it as Node does. It shapes
 * synthetic traffic only; nothing that protects privacy draws from it.
 */

/**
 * mulberry32: small, fast and good enough to shape traffic; the same seed gives the same traffic.
 * @param {number} [seed]
 * @returns {() => number}
 */
export function createRandom(seed = 1) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * One of the `weighted` values, each as likely as its weight.
 * @template T
 * @param {() => number} random
 * @param {ReadonlyArray<readonly [T, number]>} weighted
 * @returns {T}
 */
export function pick(random, weighted) {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0)
  let at = random() * total
  for (const [value, weight] of weighted) {
    at -= weight
    if (at < 0) return value
  }
  return /** @type {readonly [T, number]} */ (weighted[weighted.length - 1])[0]
}

/**
 * One of `items`, each as likely.
 * @template T
 * @param {() => number} random
 * @param {readonly T[]} items
 * @returns {T}
 */
export const oneOf = (random, items) => /** @type {T} */ (items[Math.floor(random() * items.length)])
