import { upperTail, variance } from './distribution.ts'
import { type NoiseSpec, sampledNoise } from './noise.ts'

/**
 * The accuracy published beside each noisy figure. For an unbiased integer noise Y added to the
 * true value x, the published x + Y has standard deviation √Var Y, and [x + Y − h, x + Y + h]
 * contains x with probability P(|Y| ≤ h). Both depend only on the noise parameters, never on the
 * data, so publishing them costs no privacy.
 */
export interface NoiseAccuracy {
  /** √Var Y of the noise actually sampled. */
  readonly standardDeviation: number
  /** The smallest integer h with P(|Y| ≤ h) ≥ 0.95: the 95 % interval is the figure ± h. */
  readonly halfWidth95: number
}

/** √Var Y for the noise actually sampled (rounded-up parameter). */
export function standardDeviation(noise: NoiseSpec): number {
  return Math.sqrt(variance(sampledNoise(noise)))
}

/**
 * The smallest integer h ≥ 0 with P(|Y| ≤ h) ≥ level, i.e. 2·P(Y ≥ h + 1) ≤ 1 − level (the law is
 * symmetric). Integer because the noise is: the interval is exact, not a normal approximation,
 * and conservative (its coverage is ≥ level, within double-precision error of the tail).
 */
export function halfWidth(noise: NoiseSpec, level = 0.95): number {
  if (!Number.isFinite(level) || level <= 0 || level >= 1)
    throw new RangeError(`level must be in (0, 1), got ${level}`)
  const sampled = sampledNoise(noise)
  const ok = (h: number): boolean => 2 * upperTail(sampled, h + 1) <= 1 - level
  if (ok(0)) return 0
  let hi = 1
  while (!ok(hi)) hi *= 2
  let lo = 0
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (ok(mid)) hi = mid
    else lo = mid
  }
  return hi
}

/** Standard deviation and 95 % half-width together, for a figure's `noise` field. */
export function noiseAccuracy(noise: NoiseSpec): NoiseAccuracy {
  return { standardDeviation: standardDeviation(noise), halfWidth95: halfWidth(noise, 0.95) }
}

/**
 * The standard deviation of a sum of `terms` figures each carrying independent noise of this law
 * (a range summed from daily figures): variances add, so √(terms·Var Y). An exact interval for such
 * a sum needs the convolution of the laws and is not provided here.
 */
export function sumStandardDeviation(noise: NoiseSpec, terms: number): number {
  if (!Number.isInteger(terms) || terms < 1)
    throw new RangeError(`terms must be a positive integer, got ${terms}`)
  return Math.sqrt(terms * variance(sampledNoise(noise)))
}
