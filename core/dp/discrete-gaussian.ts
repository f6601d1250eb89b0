import { bernoulliExp, bernoulliExpBig } from './bernoulli-exp.ts'
import { sampleLaplace } from './discrete-laplace.ts'
import type { RandomSource } from './random.ts'

/**
 * σ² stored as the exact rational N/D with D = 2^m, plus the integer scale T of the discrete
 * Laplace proposal. `sigma` is √(N/D) as a double, for display and analysis.
 */
export interface RationalVariance {
  readonly n: number
  readonly d: number
  readonly t: number
  readonly sigma: number
}

const PRECISION_BITS = 20
/** Largest accepted σ: keeps N ≤ 2^48 + 2, so every integer formed at construction is safe. */
export const MAX_GAUSSIAN_SIGMA = 2 ** 24
/** ⌊√(2^53 − 1)⌋: a safe integer a with |a| ≤ this has a safe square. */
const SQRT_MAX_SAFE = 94_906_265

/**
 * Rounds σ² UP to the grid N/2^m, 2^m chosen so that N ≥ 2^20 (m = 0 once σ² ≥ 2^20):
 * N = ⌈fl(σ·σ)·2^m⌉ + 1. The float product fl(σ·σ) can be below σ² by a relative 2^−53, i.e. by
 * less than 1 after scaling (σ²·2^m < 2^53), so the +1 makes N/2^m ≥ σ² exact. The relative step
 * is ≤ 2^−19. Rounding up only adds noise: ρ computed for the requested σ holds for the sampled one.
 * The proposal scale is T = ⌊σ⌋ + 1, CKS's choice (any positive integer T is correct; this one
 * keeps the acceptance rate high).
 */
export function gaussianVariance(sigma: number): RationalVariance {
  if (!Number.isFinite(sigma) || sigma <= 0 || sigma > MAX_GAUSSIAN_SIGMA) {
    throw new RangeError(`discrete Gaussian sigma must be in (0, 2^24], got ${sigma}`)
  }
  const variance = sigma * sigma
  const m = Math.max(0, PRECISION_BITS - Math.floor(Math.log2(variance)))
  const d = 2 ** m
  const n = Math.ceil(variance * d) + 1
  const exact = Math.sqrt(n / d)
  return { n, d, t: Math.floor(exact) + 1, sigma: exact }
}

/**
 * Draws from the discrete Gaussian N_Z(0, σ²), P(Y = y) = exp(−y²/(2σ²)) / Σ_x exp(−x²/(2σ²)),
 * by rejection from the discrete Laplace of scale T (Canonne, Kamath, Steinke 2020, Algorithm 3):
 *
 *   loop: Y ← Lap_Z(T); accept with probability exp(−γ), γ = (|Y| − σ²/T)² / (2σ²).
 *
 * Correctness, for any T > 0: exp(−|y|/T) · exp(−(|y| − σ²/T)²/(2σ²)) = exp(−y²/(2σ²)) · exp(−σ²/(2T²)),
 * the target up to a constant. With σ² = N/D: γ = (|Y|·T·D − N)² / (2·N·D·T²), both terms integers.
 *
 * Integer bounds. The grid gives 2^20 ≤ N < 2^21 + 2 while σ < 2^10 (m > 0), so with
 * N·D ≈ N²/σ² and T ≤ σ + 1: Q = 2·N·D·T² < 2^45 for 1 ≤ σ < 2^10 and Q < 2^43/σ² + 1 for σ < 1;
 * for σ ≥ 2^10 (D = 1), Q ≈ 2σ⁴ < 2^53 while σ ≲ 6,500. Whether Q and T·D are safe integers is
 * checked once per sampler, not assumed. The numerator a² with a = |Y|·T·D − N stays on the
 * safe path while |a| ≤ ⌊√(2^53 − 1)⌋, i.e. |Y| ≤ (⌊√(2^53 − 1)⌋ + N)/(T·D): about 45σ for
 * σ = 0.5 and 1, 53σ for σ = 10, 48σ for σ = 1,000; the Laplace proposal of scale T goes beyond
 * with probability about exp(−22) at worst. Every case outside these bounds takes the bigint path:
 * slower, never inexact.
 * Inside, bernoulliExp's own q·K ≤ 2^53 check covers its loop.
 */
export function sampleGaussian(random: RandomSource, v: RationalVariance): number {
  return gaussianPlan(v)(random)
}

/** The draw loop for one σ, with the constants of γ computed once. */
function gaussianPlan(v: RationalVariance): (random: RandomSource) => number {
  const proposal = { t: v.t, s: 1, value: v.t }
  const td = v.t * v.d
  const q = 2 * v.n * v.d * v.t * v.t
  const safe = Number.isSafeInteger(td) && Number.isSafeInteger(q)
  const bigTd = BigInt(v.t) * BigInt(v.d)
  const bigN = BigInt(v.n)
  const bigQ = 2n * bigN * BigInt(v.d) * BigInt(v.t) ** 2n
  return (random) => {
    for (;;) {
      const y = sampleLaplace(random, proposal)
      const abs = y < 0 ? -y : y
      const a = abs * td - v.n
      const accept =
        safe && a <= SQRT_MAX_SAFE && a >= -SQRT_MAX_SAFE
          ? bernoulliExp(random, a * a, q)
          : bernoulliExpBig(random, (BigInt(abs) * bigTd - bigN) ** 2n, bigQ)
      if (accept) return y
    }
  }
}

/** A discrete Gaussian sampler with its σ fixed and pre-rounded. */
export interface DiscreteGaussian {
  readonly mechanism: 'discrete-gaussian'
  /** The σ actually sampled (≥ the requested one). */
  readonly sigma: number
  sample(random: RandomSource): number
}

/**
 * A discrete Gaussian sampler of standard-deviation parameter σ (rounded up as in
 * `gaussianVariance`). Adding it to an integer query of L2 sensitivity Δ2 is Δ2²/(2σ²)-zCDP for
 * a scalar query (CKS 2020, Theorem 4); see `accounting.ts` for vectors.
 */
export function discreteGaussian(sigma: number): DiscreteGaussian {
  const v = gaussianVariance(sigma)
  return { mechanism: 'discrete-gaussian', sigma: v.sigma, sample: gaussianPlan(v) }
}
