export type Random = () => number

/** mulberry32: small, fast and good enough to shape traffic. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export function pick<T>(random: Random, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0)
  let at = random() * total
  for (const [value, weight] of weighted) {
    at -= weight
    if (at < 0) return value
  }
  return (weighted.at(-1) as readonly [T, number])[0]
}

/** One of `items`, each as likely. */
export const oneOf = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T
