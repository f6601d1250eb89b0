import { type RandomSource, uniformBigInt, uniformInt } from './random.ts'

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/**
 * Exact Bernoulli(exp(−γ)) for a rational γ = num/den ≥ 0 (Canonne, Kamath, Steinke 2020,
 * Algorithm 1), using only exact Bernoulli(rational) draws:
 *
 * - γ ∈ [0, 1]: K ← 1; while Bernoulli(γ/K) K ← K + 1; return K odd.
 *   P(K > k) = γ^k / k!, so P(K odd) = Σ_k (−γ)^k / k! = exp(−γ). Expected draws ≤ e.
 * - γ > 1: exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): ⌊γ⌋ independent Bernoulli(exp(−1)) and one
 *   Bernoulli(exp(−frac)), stopping at the first failure.
 *
 * Safe-integer path: Bernoulli(γ/K) with γ = p/q is Bernoulli(p / (q·K)), a uniform integer below
 * q·K compared with p; it stays in doubles while q·K ≤ 2^53 − 1 and switches to bigints beyond
 * (for q ≤ 2^43, that needs K > 1024, probability 1/1024!, so in practice never).
 */
export function bernoulliExp(random: RandomSource, num: number, den: number): boolean {
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || num < 0 || den < 1) {
    throw new RangeError(`bernoulliExp: need safe integers num ≥ 0, den ≥ 1, got ${num}/${den}`)
  }
  const frac = num % den
  const whole = (num - frac) / den
  for (let i = 0; i < whole; i++) if (!bernoulliExpMinusOne(random)) return false
  return bernoulliExpFraction(random, frac, den)
}

/**
 * Bernoulli(exp(−1)): Algorithm 1 with γ = 1, where Bernoulli(1/K) is "a uniform in [0, K) is 0".
 * Its first step, Bernoulli(1/1), always succeeds, so the loop starts at K = 2 without a draw.
 */
export function bernoulliExpMinusOne(random: RandomSource): boolean {
  let k = 2
  while (uniformInt(random, k) === 0) k++
  return (k & 1) === 1
}

/** Bernoulli(exp(−p/q)) for integers 0 ≤ p ≤ q, q ≥ 1 (γ ∈ [0, 1]). */
function bernoulliExpFraction(random: RandomSource, p: number, q: number): boolean {
  if (p === 0) return true
  let k = 1
  for (;;) {
    const qk = q * k
    if (qk > MAX_SAFE) return bernoulliExpFractionBig(random, BigInt(p), BigInt(q), BigInt(k))
    if (uniformInt(random, qk) >= p) break
    k++
  }
  return (k & 1) === 1
}

/** The bigint continuation of Algorithm 1 for γ = p/q ∈ [0, 1], resuming at K = k. */
function bernoulliExpFractionBig(random: RandomSource, p: bigint, q: bigint, k: bigint): boolean {
  while (uniformBigInt(random, q * k) < p) k++
  return (k & 1n) === 1n
}

/** Bernoulli(exp(−num/den)) for bigints; the slow path for parameters beyond 2^53. */
export function bernoulliExpBig(random: RandomSource, num: bigint, den: bigint): boolean {
  if (num < 0n || den < 1n) throw new RangeError('bernoulliExpBig: need num ≥ 0, den ≥ 1')
  const whole = num / den
  for (let i = 0n; i < whole; i++) if (!bernoulliExpMinusOne(random)) return false
  const frac = num % den
  if (frac === 0n) return true
  return bernoulliExpFractionBig(random, frac, den, 1n)
}
