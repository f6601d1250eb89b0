import { describe, expect, it } from 'vitest'
import { fourthMoment, pmf, upperTail, variance } from '../../../core/dp/distribution.ts'
import type { NoiseSpec } from '../../../core/dp/noise.ts'

/** Brute-force moments by direct summation over |y| ≤ bound, the reference for the closed forms. */
function direct(noise: NoiseSpec, bound: number) {
  const weight = (y: number) =>
    noise.mechanism === 'discrete-laplace'
      ? Math.exp(-Math.abs(y) / noise.scale)
      : Math.exp(-(y * y) / (2 * noise.sigma * noise.sigma))
  let z = 0
  let m2 = 0
  let m4 = 0
  for (let y = -bound; y <= bound; y++) {
    const w = weight(y)
    z += w
    m2 += y * y * w
    m4 += y ** 4 * w
  }
  const tail = (k: number) => {
    let s = 0
    for (let y = k; y <= bound; y++) s += weight(y)
    return s / z
  }
  return { p0: 1 / z, variance: m2 / z, fourth: m4 / z, tail }
}

const CASES: [NoiseSpec, number][] = [
  [{ mechanism: 'discrete-gaussian', sigma: 0.5 }, 60],
  [{ mechanism: 'discrete-gaussian', sigma: 1.9 }, 200],
  [{ mechanism: 'discrete-gaussian', sigma: 2 }, 200],
  [{ mechanism: 'discrete-gaussian', sigma: 4 }, 400],
  [{ mechanism: 'discrete-gaussian', sigma: 50 }, 5000],
  [{ mechanism: 'discrete-laplace', scale: 0.5 }, 1000],
  [{ mechanism: 'discrete-laplace', scale: 3 }, 3000],
  [{ mechanism: 'discrete-laplace', scale: 20 }, 20000],
]

describe('exact laws of the noise (closed forms and Poisson summation against brute force)', () => {
  for (const [noise, bound] of CASES) {
    it(`${noise.mechanism} ${JSON.stringify(noise)}: pmf(0), variance, E[Y⁴] and tails`, () => {
      const ref = direct(noise, bound)
      expect(pmf(noise, 0) / ref.p0).toBeCloseTo(1, 10)
      expect(variance(noise) / ref.variance).toBeCloseTo(1, 10)
      expect(fourthMoment(noise) / ref.fourth).toBeCloseTo(1, 9)
      for (const k of [1, 2, 5, 17]) expect(upperTail(noise, k) / ref.tail(k)).toBeCloseTo(1, 9)
      expect(upperTail(noise, 0) + upperTail(noise, 1)).toBeCloseTo(1, 12)
      expect(upperTail(noise, -3)).toBeCloseTo(1 - upperTail(noise, 4), 12)
    })
  }
})

describe('the discrete Gaussian is no wider than its σ', () => {
  it('Var Y ≤ σ² for σ from 0.1 to 10 (CKS), equal to double precision from σ = 4', () => {
    for (const sigma of [0.1, 0.3, 0.5, 1, 1.5, 2, 3, 4, 10]) {
      const v = variance({ mechanism: 'discrete-gaussian', sigma })
      expect(v).toBeLessThanOrEqual(sigma * sigma)
      if (sigma >= 4) expect(v).toBe(sigma * sigma)
    }
  })
})
