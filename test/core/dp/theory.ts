import { expect } from 'vitest'
import { fourthMoment, pmf, upperTail, variance } from '../../../core/dp/distribution.ts'
import { halfWidth } from '../../../core/dp/interval.ts'
import type { NoiseSampler, NoiseSpec } from '../../../core/dp/noise.ts'
import type { RandomSource } from '../../../core/dp/random.ts'
import { chiSquare, chiSquareCritical, meanTolerance, proportionTolerance } from './stats.ts'

/** The spec a sampler actually draws from. */
export function specOf(sampler: NoiseSampler): NoiseSpec {
  return sampler.mechanism === 'discrete-gaussian'
    ? { mechanism: 'discrete-gaussian', sigma: sampler.sigma }
    : { mechanism: 'discrete-laplace', scale: sampler.scale }
}

/** P(a ≤ Y < b) for integers a < b. */
function mass(spec: NoiseSpec, a: number, b: number): number {
  if (b - a === 1) return pmf(spec, a)
  return upperTail(spec, a) - upperTail(spec, b)
}

/**
 * Bins for a chi-square goodness-of-fit test: the two tails (−∞, −hi] and [hi, ∞), each expecting
 * at least 20 draws, and between them integer intervals of width ⌈sd/4⌉, merged left to right
 * until each expects at least 20. Returns the inner edges e_0 < … < e_m: bins are (−∞, e_0),
 * [e_i, e_{i+1}) and [e_m, ∞).
 */
function bins(spec: NoiseSpec, n: number): { edges: number[]; expected: number[] } {
  const width = Math.max(1, Math.ceil(Math.sqrt(variance(spec)) / 4))
  let hi = 1
  while (n * upperTail(spec, hi + width) >= 20) hi += width
  const edges = [-hi + 1]
  const expected = [n * upperTail(spec, hi)]
  let last = -hi + 1
  for (let e = Math.min(last + width, hi); e <= hi; e = Math.min(e + width, hi)) {
    const inBin = n * mass(spec, last, e)
    if (inBin >= 20 || e === hi) {
      if (inBin < 20) {
        edges.pop()
        expected[expected.length - 1] = (expected[expected.length - 1] as number) + inBin
      } else expected.push(inBin)
      edges.push(e)
      last = e
    }
    if (e === hi) break
  }
  expected.push(n * upperTail(spec, hi))
  return { edges, expected }
}

/** The smallest integer k ≥ from with pred(k), for a predicate monotone in k. */
function smallestWith(pred: (k: number) => boolean, from: number): number {
  if (pred(from)) return from
  let step = 1
  while (!pred(from + step)) step *= 2
  let lo = from
  let hi = from + step
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (pred(mid)) hi = mid
    else lo = mid
  }
  return hi
}

function binOf(edges: readonly number[], y: number): number {
  if (y < (edges[0] as number)) return 0
  let lo = 0
  let hi = edges.length
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (y >= (edges[mid] as number)) lo = mid
    else hi = mid
  }
  return lo + 1
}

/**
 * Draws n values and checks them against the exact law: mean 0, second moment Var Y (tolerance from
 * the variance of Y², E[Y⁴] − Var²), the two-sided tails at the 95 % half-width and at a far point
 * (P ≈ 2e−3), and a chi-square goodness-of-fit over the whole support.
 */
export function checkAgainstTheory(sampler: NoiseSampler, random: RandomSource, n: number): void {
  const spec = specOf(sampler)
  const v = variance(spec)
  const h = halfWidth(spec)
  const far = smallestWith((k) => 2 * upperTail(spec, k) <= 2e-3, h + 1)
  const { edges, expected } = bins(spec, n)
  const observed = new Float64Array(expected.length)
  let unsafe = 0
  let sum = 0
  let sumSq = 0
  let beyondH = 0
  let beyondFar = 0
  for (let i = 0; i < n; i++) {
    const y = sampler.sample(random)
    if (!Number.isSafeInteger(y)) unsafe++
    sum += y
    sumSq += y * y
    const abs = Math.abs(y)
    if (abs > h) beyondH++
    if (abs >= far) beyondFar++
    const bin = binOf(edges, y)
    observed[bin] = (observed[bin] as number) + 1
  }
  expect(unsafe).toBe(0)
  expect(Math.abs(sum / n)).toBeLessThanOrEqual(meanTolerance(v, n))
  expect(Math.abs(sumSq / n - v)).toBeLessThanOrEqual(meanTolerance(fourthMoment(spec) - v * v, n))
  const pH = 2 * upperTail(spec, h + 1)
  expect(Math.abs(beyondH / n - pH)).toBeLessThanOrEqual(proportionTolerance(pH, n))
  const pFar = 2 * upperTail(spec, far)
  expect(Math.abs(beyondFar / n - pFar)).toBeLessThanOrEqual(proportionTolerance(pFar, n))
  expect(chiSquare(Array.from(observed), expected)).toBeLessThanOrEqual(
    chiSquareCritical(expected.length - 1),
  )
}
