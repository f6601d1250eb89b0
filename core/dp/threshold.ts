import { upperTail } from './distribution.ts'
import { type NoiseSpec, sampledNoise } from './noise.ts'

/**
 * DP partition selection (Google's differential-privacy library, `Threshold()` and
 * `common_docs/pre_thresholding.md`). A partition (a row, a segment, a path) is released only when
 * its noisy visitor count reaches τ. The set of partitions released must itself be private: the
 * dangerous case is a partition that exists only because of one visitor, whose true count is at
 * most `maxContribution` (1 for distinct visitors). Its noisy count c + Y passes τ with probability
 * P(Y ≥ τ − c) ≤ P(Y ≥ τ − maxContribution). A visitor-day touches at most L0 partitions, so
 * requiring each of those to leak with probability ≤ δ/L0 bounds the chance that any of them
 * appears, by the union bound, by δ: the δ of (ε, δ).
 *
 * τ = c + k for the smallest integer k ≥ 1 with P(Y ≥ k) · (1 + 10^−6) ≤ δ/L0 (c = maxContribution),
 * where Y is the noise actually sampled (the rounded-up parameter, whose tail is the heavier) and the
 * factor covers the double-precision error of the tail: a sum of n ≲ 10σ positive terms, each
 * within a few ulps, errs by a relative n·2^−52 < 4·10^−8 for σ ≤ 2^24, and the truncated remainder
 * is below 2^−60·σ of the sum. k ≥ 1 keeps τ above the lone visitor's own count even for a δ ≥ 1/2.
 * The noise's own privacy loss is separate (ρ or ε from `accounting.ts`); the threshold adds δ.
 * The noisy count compared with τ must be the one published: a fresh draw for the comparison would
 * be a second measurement, spending budget again.
 */
export interface ThresholdParams {
  readonly noise: NoiseSpec
  /** Partitions one visitor-day can contribute to (L0 sensitivity), ≥ 1. */
  readonly maxPartitions: number
  /** Probability that a partition made of one visitor is released at all, summed over L0. */
  readonly delta: number
  /** Largest count one visitor adds to one partition; 1 for distinct-visitor counts. */
  readonly maxContribution?: number
}

const TAIL_SAFETY = 1 + 1e-6

function checkParams(p: ThresholdParams): { l0: number; c: number } {
  const l0 = p.maxPartitions
  const c = p.maxContribution ?? 1
  if (!Number.isInteger(l0) || l0 < 1)
    throw new RangeError(`maxPartitions must be a positive integer, got ${l0}`)
  if (!Number.isInteger(c) || c < 1)
    throw new RangeError(`maxContribution must be a positive integer, got ${c}`)
  if (!Number.isFinite(p.delta) || p.delta <= 0 || p.delta >= 1) {
    throw new RangeError(`delta must be in (0, 1), got ${p.delta}`)
  }
  return { l0, c }
}

/**
 * τ: the smallest integer such that a partition with one visitor is released with probability at
 * most δ/L0 (see above). Found by doubling then bisection on the monotone predicate "tail small
 * enough".
 */
export function threshold(p: ThresholdParams): number {
  const { l0, c } = checkParams(p)
  const noise = sampledNoise(p.noise)
  const target = p.delta / l0
  const ok = (k: number): boolean => upperTail(noise, k) * TAIL_SAFETY <= target
  if (ok(1)) return 1 + c
  let hi = 2
  while (!ok(hi)) hi *= 2
  let lo = 1
  // Invariant: ok(hi) and !ok(lo).
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (ok(mid)) hi = mid
    else lo = mid
  }
  return hi + c
}

/**
 * The probability that a partition whose true count is `count` is released at threshold τ:
 * P(count + Y ≥ τ), for the noise actually sampled.
 */
export function releaseProbability(noise: NoiseSpec, count: number, tau: number): number {
  return upperTail(sampledNoise(noise), tau - count)
}

/**
 * The threshold applied to noisy counts: max(τ, kAnon). `kAnon` (K_ANON) stays as a floor on the
 * noisy count, a second line that never weakens the DP guarantee (raising a threshold is
 * post-processing that only releases fewer partitions). Note the difference from Google's
 * pre-thresholding, which drops partitions whose TRUE count of contributors is below k: that floor
 * is on the exact count and is not itself DP, which is why here it applies to the noisy count.
 */
export function releaseThreshold(p: ThresholdParams & { readonly kAnon: number }): number {
  if (!Number.isInteger(p.kAnon) || p.kAnon < 1)
    throw new RangeError(`kAnon must be a positive integer, got ${p.kAnon}`)
  return Math.max(threshold(p), p.kAnon)
}
