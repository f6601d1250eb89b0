import { randomFillSync } from 'node:crypto'
import { effectiveArm } from '../../core/dp/noisy-arm.ts'

/**
 * Thompson sampling over Beta posteriors of conversion rates, as pure functions of an injected
 * random source. An arm's posterior is Beta(1 + conversions, 1 + impressions − conversions), the
 * uniform prior the insights job uses for P(best). One draw per arm, the largest wins: serving
 * each visitor that way gives every variant the share of traffic equal to its probability of
 * being best, which `thompsonAllocation` estimates from `draws` such rounds.
 */

/** Uniform numbers in [0, 1). */
export type RandomSource = () => number

/** An arm's counts; with their noise when they are released figures (then the posterior widens). */
export type Arm = {
  conversions: number
  impressions: number
  conversions_sd?: number
  impressions_sd?: number
}

export const DEFAULT_DRAWS = 4000

/**
 * Uniform doubles from `node:crypto`, 53 random bits each, read from a buffer refilled 4 KiB at
 * a time (one system call per 512 numbers).
 */
export function cryptoRandom(): RandomSource {
  const words = new Uint32Array(1024)
  let next = words.length
  return () => {
    if (next >= words.length) {
      randomFillSync(words)
      next = 0
    }
    const high = (words[next++] as number) >>> 5
    const low = (words[next++] as number) >>> 6
    return (high * 67_108_864 + low) / 9_007_199_254_740_992
  }
}

export function posterior(arm: Arm): { a: number; b: number } {
  // Noisy counts: the moment-matched Beta, which adds the noise's variance to the sampling's.
  const { conversions, impressions } =
    arm.conversions_sd || arm.impressions_sd
      ? effectiveArm({
          conversions: arm.conversions,
          impressions: arm.impressions,
          conversionsSd: arm.conversions_sd ?? 0,
          impressionsSd: arm.impressions_sd ?? 0,
        })
      : arm
  const trials = Math.max(impressions, 0)
  const successes = Math.min(Math.max(conversions, 0), trials)
  return { a: 1 + successes, b: 1 + trials - successes }
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
function normal(random: RandomSource): number {
  const u = 1 - random()
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** A Gamma(shape, 1) draw: Marsaglia and Tsang's method, boosted for shapes below 1. */
export function gamma(shape: number, random: RandomSource): number {
  if (shape < 1) return gamma(shape + 1, random) * (1 - random()) ** (1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    const x = normal(random)
    const t = 1 + c * x
    if (t <= 0) continue
    const v = t * t * t
    const u = 1 - random()
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** A Beta(a, b) draw, as X / (X + Y) of two Gamma draws. */
export function beta(a: number, b: number, random: RandomSource): number {
  const x = gamma(a, random)
  return x / (x + gamma(b, random))
}

/** One round of Thompson sampling: the index of the arm whose posterior draw is largest. */
export function thompsonDraw(arms: readonly Arm[], random: RandomSource): number {
  let best = 0
  let top = Number.NEGATIVE_INFINITY
  arms.forEach((arm, i) => {
    const { a, b } = posterior(arm)
    const draw = beta(a, b, random)
    if (draw > top) {
      top = draw
      best = i
    }
  })
  return best
}

/**
 * The share of traffic each arm gets under Thompson sampling: the fraction of `draws` rounds it
 * wins. The shares sum to 1 and estimate each arm's probability of being best (standard error at
 * most 0.5 / √draws). No arms, no shares.
 */
export function thompsonAllocation(
  arms: readonly Arm[],
  random: RandomSource,
  draws = DEFAULT_DRAWS,
): number[] {
  if (arms.length === 0) return []
  if (arms.length === 1) return [1]
  const wins = arms.map(() => 0)
  for (let round = 0; round < draws; round++) {
    const winner = thompsonDraw(arms, random)
    wins[winner] = (wins[winner] as number) + 1
  }
  return wins.map((count) => count / draws)
}

/** An index drawn with probability `shares[i]` (shares summing to 1). */
export function sampleIndex(shares: readonly number[], random: RandomSource): number {
  const target = random()
  let cumulative = 0
  for (let i = 0; i < shares.length; i++) {
    cumulative += shares[i] as number
    if (target < cumulative) return i
  }
  // Rounding can leave the last share's end a hair below 1.
  return Math.max(0, shares.length - 1)
}
