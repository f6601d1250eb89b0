import { bernoulliExp, bernoulliExpMinusOne } from './bernoulli-exp.ts'
import { type RandomSource, randomBit, uniformInt } from './random.ts'

/**
 * A scale b > 0 stored as the exact rational t/s with s = 2^m. `value` is t/s as a double (exact:
 * t < 2^53 and s a power of two).
 */
export interface RationalScale {
  readonly t: number
  readonly s: number
  readonly value: number
}

/** Bits of precision kept in t: the grid's relative step is at most 2^−20 ≈ 1e−6. */
const PRECISION_BITS = 20
/** Largest accepted scale: t·V stays below 2^53 for every geometric V < 2^13 (see `sampleLaplace`). */
export const MAX_LAPLACE_SCALE = 2 ** 40

/**
 * Rounds a scale b UP to the grid t/2^m, where 2^m is chosen so that t ≥ 2^20 (m = 0 once b ≥ 2^20):
 * t = ⌈b·2^m⌉. Multiplying a double by a power of two is exact, so t/2^m ≥ b exactly and
 * t/2^m − b < 2^−m ≤ b·2^−20. Rounding up only adds noise: a guarantee computed for b holds for
 * the sampled scale. (Google's library rounds to a power-of-two granularity for the same reason.)
 */
export function laplaceScale(scale: number): RationalScale {
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_LAPLACE_SCALE) {
    throw new RangeError(`discrete Laplace scale must be in (0, 2^40], got ${scale}`)
  }
  const m = Math.max(0, PRECISION_BITS - Math.floor(Math.log2(scale)))
  const s = 2 ** m
  const t = Math.ceil(scale * s)
  return { t, s, value: t / s }
}

/**
 * Draws from the discrete Laplace distribution on the integers with scale b = t/s,
 * P(Y = y) = (1 − q)/(1 + q) · q^|y| with q = exp(−1/b) (Canonne, Kamath, Steinke 2020, Algorithm 2):
 *
 *   loop: U ← uniform{0..t−1}; accept U with probability exp(−U/t);
 *         V ← number of successes of Bernoulli(exp(−1)) before the first failure;
 *         X ← U + t·V        (X is geometric: P(X = x) ∝ exp(−x/t))
 *         Y ← ⌊X/s⌋          (P(Y = y) ∝ Σ_{x=ys}^{ys+s−1} exp(−x/t) ∝ exp(−y·s/t))
 *         B ← fair bit; if B = 1 and Y = 0 retry (so 0 is not counted twice); return (1 − 2B)·Y.
 *
 * Integer bounds: `laplaceScale` gives t ≤ 2^21 when m > 0 and t = ⌈b⌉ ≤ 2^40 when m = 0, so
 * t ≤ 2^40. A run V ≥ 2^13 (probability exp(−8192)) restarts the draw instead of overflowing; that
 * truncation moves the output distribution by less than exp(−8192) in total variation. Hence
 * X = U + t·V < 2^53, X/s is an exact double division (s a power of two), and the uniform and
 * Bernoulli draws inside stay on the safe-integer path.
 */
export function sampleLaplace(random: RandomSource, scale: RationalScale): number {
  const { t, s } = scale
  for (;;) {
    const u = uniformInt(random, t)
    if (!bernoulliExp(random, u, t)) continue
    let v = 0
    while (bernoulliExpMinusOne(random)) v++
    if (v >= 8192) continue
    const x = u + t * v
    const y = s === 1 ? x : Math.floor(x / s)
    if (randomBit(random) === 1) {
      if (y === 0) continue
      return -y
    }
    return y
  }
}

/** A discrete Laplace sampler with its scale fixed and pre-rounded. */
export interface DiscreteLaplace {
  readonly mechanism: 'discrete-laplace'
  /** The scale actually sampled (≥ the requested one). */
  readonly scale: number
  sample(random: RandomSource): number
}

/**
 * A discrete Laplace sampler of scale b (rounded up as in `laplaceScale`). Adding it to an integer
 * query of L1 sensitivity Δ1 is (Δ1/b)-DP (pure ε-DP, as for the continuous Laplace).
 */
export function discreteLaplace(scale: number): DiscreteLaplace {
  const rational = laplaceScale(scale)
  return {
    mechanism: 'discrete-laplace',
    scale: rational.value,
    sample: (random) => sampleLaplace(random, rational),
  }
}
