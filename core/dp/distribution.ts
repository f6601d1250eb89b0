import type { NoiseSpec } from './noise.ts'

/**
 * The exact laws of the two noises, evaluated in doubles (relative error ~1e−12 at most, from
 * summing at most a few million positive terms). `threshold.ts` and `interval.ts` derive published
 * numbers from these; the sampler tests compare draws with them.
 *
 * Discrete Laplace, scale b, q = exp(−1/b):
 *   P(Y = y) = (1 − q)/(1 + q) · q^|y|,  P(Y ≥ k) = q^k/(1 + q) for k ≥ 1,  Var Y = 2q/(1 − q)².
 * Discrete Gaussian, σ: P(Y = y) = exp(−y²/(2σ²)) / Z, Z = Σ_x exp(−x²/(2σ²)); by Poisson
 * summation Z = σ√(2π)·(1 + 2Σ_{k≥1} exp(−2π²σ²k²)), so Z = σ√(2π) to double precision once σ ≥ 2,
 * and Var Y = σ²·(1 − O(σ²·exp(−2π²σ²))) = σ² to double precision once σ ≥ 4 (CKS 2020, §2.2).
 * Below those, Z and Var Y are summed term by term.
 */

/** Terms below this fraction of the running sum no longer change a double. */
const NEGLIGIBLE = 2 ** -60

function laplaceQ(scale: number): { q: number; oneMinusQ: number } {
  return { q: Math.exp(-1 / scale), oneMinusQ: -Math.expm1(-1 / scale) }
}

/** Σ_{x ≥ from} f(x) for a positive, eventually decreasing f, stopped once terms are negligible. */
function sumFrom(from: number, f: (x: number) => number): number {
  let sum = 0
  for (let x = from; ; x++) {
    const term = f(x)
    sum += term
    if (term <= sum * NEGLIGIBLE && x > 0) return sum
    if (term === 0 && sum === 0 && x > 0) return 0
  }
}

function gaussianNormalizer(sigma: number): number {
  if (sigma >= 2) return sigma * Math.sqrt(2 * Math.PI)
  const s2 = 2 * sigma * sigma
  return 1 + 2 * sumFrom(1, (x) => Math.exp(-(x * x) / s2))
}

/** P(Y = y). */
export function pmf(noise: NoiseSpec, y: number): number {
  if (noise.mechanism === 'discrete-laplace') {
    const { q, oneMinusQ } = laplaceQ(noise.scale)
    return (oneMinusQ / (1 + q)) * q ** Math.abs(y)
  }
  return Math.exp(-(y * y) / (2 * noise.sigma * noise.sigma)) / gaussianNormalizer(noise.sigma)
}

/** P(Y ≥ k) for an integer k. The law is symmetric, so P(Y ≥ k) = 1 − P(Y ≥ 1 − k) for k ≤ 0. */
export function upperTail(noise: NoiseSpec, k: number): number {
  if (!Number.isInteger(k)) throw new RangeError(`upperTail: k must be an integer, got ${k}`)
  if (k <= 0) return 1 - upperTail(noise, 1 - k)
  if (noise.mechanism === 'discrete-laplace') {
    const { q } = laplaceQ(noise.scale)
    return Math.exp(-k / noise.scale) / (1 + q)
  }
  const s2 = 2 * noise.sigma * noise.sigma
  return sumFrom(k, (x) => Math.exp(-(x * x) / s2)) / gaussianNormalizer(noise.sigma)
}

/** P(|Y| ≥ k) for an integer k ≥ 1: twice the upper tail. */
export function twoSidedTail(noise: NoiseSpec, k: number): number {
  return 2 * upperTail(noise, k)
}

/** Var Y (the mean is 0 by symmetry). */
export function variance(noise: NoiseSpec): number {
  if (noise.mechanism === 'discrete-laplace') {
    const { q, oneMinusQ } = laplaceQ(noise.scale)
    return (2 * q) / (oneMinusQ * oneMinusQ)
  }
  const sigma = noise.sigma
  if (sigma >= 4) return sigma * sigma
  const s2 = 2 * sigma * sigma
  return (2 * sumFrom(1, (x) => x * x * Math.exp(-(x * x) / s2))) / gaussianNormalizer(sigma)
}

/** E[Y⁴], for the sampling error of the variance in tests (Var of Y² is E[Y⁴] − Var²). */
export function fourthMoment(noise: NoiseSpec): number {
  if (noise.mechanism === 'discrete-laplace') {
    const { q, oneMinusQ } = laplaceQ(noise.scale)
    // Σ_{y≥1} y⁴ q^y = q(1 + 11q + 11q² + q³)/(1 − q)^5, doubled and scaled by (1 − q)/(1 + q).
    return (2 * q * (1 + 11 * q + 11 * q * q + q * q * q)) / ((1 + q) * oneMinusQ ** 4)
  }
  const sigma = noise.sigma
  const s2 = 2 * sigma * sigma
  return (2 * sumFrom(1, (x) => x ** 4 * Math.exp(-(x * x) / s2))) / gaussianNormalizer(sigma)
}
