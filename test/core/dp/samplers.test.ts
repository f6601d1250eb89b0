import { describe, expect, it } from 'vitest'
import { discreteGaussian, gaussianVariance } from '../../../core/dp/discrete-gaussian.ts'
import { discreteLaplace, laplaceScale } from '../../../core/dp/discrete-laplace.ts'
import { cryptoRandom, seededRandom } from '../../../core/dp/random.ts'
import { checkAgainstTheory } from './theory.ts'

const N = 100_000
const SCALES = [0.5, 1, 10, 1000]

describe('discrete Laplace sampler against its exact law (100,000 draws per scale)', () => {
  for (const scale of SCALES) {
    it(`scale ${scale}: mean, variance, tails and chi-square fit`, () => {
      checkAgainstTheory(discreteLaplace(scale), seededRandom(`laplace-${scale}`), N)
    })
  }
  it('scale 3 on the crypto source', () => {
    checkAgainstTheory(discreteLaplace(3), cryptoRandom(), N)
  })
})

describe('discrete Gaussian sampler against its exact law (100,000 draws per sigma)', () => {
  for (const sigma of SCALES) {
    it(`sigma ${sigma}: mean, variance, tails and chi-square fit`, () => {
      checkAgainstTheory(discreteGaussian(sigma), seededRandom(`gaussian-${sigma}`), N)
    })
  }
  it('sigma 10 on the crypto source', () => {
    checkAgainstTheory(discreteGaussian(10), cryptoRandom(), N)
  })
  it('sigma 10,000 (every acceptance test on the bigint path: Q ≈ 2e16 > 2^53) and 0.05 (D = 2^29)', () => {
    checkAgainstTheory(discreteGaussian(10_000), seededRandom('gaussian-big'), N)
    checkAgainstTheory(discreteGaussian(0.05), seededRandom('gaussian-tiny'), N)
  })
})

describe('parameter rounding is upward and fine', () => {
  const values = [1e-3, 0.3, 0.5, 1, Math.PI, 10, 99.99, 1000, 123_456.789, 2 ** 30 + 0.5]
  it('the Laplace scale t/s is ≥ the requested b, within a relative 2^−20, with s a power of two', () => {
    for (const b of values) {
      const r = laplaceScale(b)
      expect(r.value).toBeGreaterThanOrEqual(b)
      expect((r.value - b) / b).toBeLessThanOrEqual(2 ** -20)
      expect(Number.isSafeInteger(r.t) && Number.isSafeInteger(r.s)).toBe(true)
      expect(Math.log2(r.s) % 1).toBe(0)
      // b·s is exact in doubles (s is a power of two), so this comparison is exact.
      expect(r.t).toBeGreaterThanOrEqual(b * r.s)
    }
  })
  it('σ² = N/D is ≥ the requested σ², within a relative 2^−19, with D a power of two', () => {
    for (const sigma of values.filter((v) => v <= 2 ** 24)) {
      const v = gaussianVariance(sigma)
      expect(v.n / v.d).toBeGreaterThanOrEqual(sigma * sigma)
      expect((v.n / v.d - sigma * sigma) / (sigma * sigma)).toBeLessThanOrEqual(2 ** -19)
      expect(Math.log2(v.d) % 1).toBe(0)
      expect(v.t).toBe(Math.floor(v.sigma) + 1)
    }
  })
  it('refuses scales that are not finite and positive', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => discreteLaplace(bad)).toThrow(RangeError)
      expect(() => discreteGaussian(bad)).toThrow(RangeError)
    }
  })
})

describe('speed', () => {
  it('draws at least 20,000 noise values per second (a tenth of the measured rate; shared machine)', () => {
    const random = cryptoRandom()
    for (const sampler of [discreteLaplace(10), discreteGaussian(10)]) {
      const n = 200_000
      const start = performance.now()
      let sink = 0
      for (let i = 0; i < n; i++) sink += sampler.sample(random)
      const perSecond = n / ((performance.now() - start) / 1000)
      console.log(`${sampler.mechanism} scale 10: ${Math.round(perSecond)} draws/s (sum ${sink})`)
      expect(perSecond).toBeGreaterThan(20_000)
    }
  })
})

describe('the statistical check has power', () => {
  it('rejects a discrete Gaussian whose σ is 3 % off from the law it is checked against', () => {
    const impostor = { ...discreteGaussian(10.3), sigma: 10 }
    expect(() => checkAgainstTheory(impostor, seededRandom('impostor'), N)).toThrow()
  })
  it('rejects a rounded continuous Laplace presented as the discrete Laplace of the same scale', () => {
    const random = seededRandom('rounded')
    const rounded = {
      mechanism: 'discrete-laplace' as const,
      scale: 1,
      sample: () => {
        // Inverse-CDF continuous Laplace from a 53-bit uniform, rounded to the nearest integer.
        const u = (random.nextUint32() * 2 ** 21 + (random.nextUint32() >>> 11)) / 2 ** 53 - 0.5
        return Math.round(-Math.sign(u) * Math.log(1 - 2 * Math.abs(u)))
      },
    }
    expect(() => checkAgainstTheory(rounded, random, N)).toThrow()
  })
})
