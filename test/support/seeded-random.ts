import type { RandomSource } from '../../api/recommend/thompson.ts'

/**
 * A deterministic uniform source for tests (sfc32, seeded from one number): the same seed gives
 * the same sequence on every machine. The service itself draws from `node:crypto`.
 */
export function seededRandom(seed: number): RandomSource {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 15; i++) next()
  return () => next() / 4_294_967_296
}
