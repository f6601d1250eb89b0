import { describe, expect, it } from 'vitest'
import { upperTail } from '../../../core/dp/distribution.ts'
import {
  halfWidth,
  noiseAccuracy,
  standardDeviation,
  sumStandardDeviation,
} from '../../../core/dp/interval.ts'
import { type NoiseSpec, noiseSampler, sampledNoise } from '../../../core/dp/noise.ts'
import { seededRandom } from '../../../core/dp/random.ts'
import { proportionTolerance } from './stats.ts'

const NOISES: NoiseSpec[] = [
  { mechanism: 'discrete-gaussian', sigma: 0.5 },
  { mechanism: 'discrete-gaussian', sigma: 10 },
  { mechanism: 'discrete-gaussian', sigma: 1000 },
  { mechanism: 'discrete-laplace', scale: 1 },
  { mechanism: 'discrete-laplace', scale: 10 },
  { mechanism: 'discrete-laplace', scale: 1000 },
]

const coverage = (noise: NoiseSpec, h: number) => 1 - 2 * upperTail(sampledNoise(noise), h + 1)

describe('noise accuracy published with each figure', () => {
  it('the 95 % half-width h is the smallest integer with P(|Y| ≤ h) ≥ 0.95', () => {
    for (const noise of NOISES) {
      const h = halfWidth(noise)
      expect(coverage(noise, h)).toBeGreaterThanOrEqual(0.95)
      if (h > 0) expect(coverage(noise, h - 1)).toBeLessThan(0.95)
    }
  })
  it('known values: Gaussian σ = 10 has sd 10 and h = 20 (1.96σ rounded up); Laplace b has sd ≈ b√2', () => {
    expect(standardDeviation({ mechanism: 'discrete-gaussian', sigma: 10 })).toBeCloseTo(10, 4)
    expect(halfWidth({ mechanism: 'discrete-gaussian', sigma: 10 })).toBe(20)
    expect(
      standardDeviation({ mechanism: 'discrete-laplace', scale: 1000 }) / (1000 * Math.SQRT2),
    ).toBeCloseTo(1, 4)
    expect(noiseAccuracy({ mechanism: 'discrete-gaussian', sigma: 10 })).toEqual({
      standardDeviation: standardDeviation({ mechanism: 'discrete-gaussian', sigma: 10 }),
      halfWidth95: 20,
    })
  })
  it('empirically, 100,000 draws fall within ±h at the analytic coverage', () => {
    for (const noise of NOISES) {
      const h = halfWidth(noise)
      const sampler = noiseSampler(noise)
      const random = seededRandom(`interval-${JSON.stringify(noise)}`)
      const n = 100_000
      let inside = 0
      for (let i = 0; i < n; i++) if (Math.abs(sampler.sample(random)) <= h) inside++
      const p = coverage(noise, h)
      expect(Math.abs(inside / n - p)).toBeLessThanOrEqual(proportionTolerance(p, n))
    }
  })
  it('a sum of 28 noisy days has standard deviation √28·sd, empirically over 20,000 sums (560,000 draws)', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 10 }
    const sd = sumStandardDeviation(noise, 28)
    expect(sd / (10 * Math.sqrt(28))).toBeCloseTo(1, 5)
    const sampler = noiseSampler(noise)
    const random = seededRandom('sum')
    const n = 20_000
    let sumSq = 0
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let d = 0; d < 28; d++) s += sampler.sample(random)
      sumSq += s * s
    }
    // The sum is close to normal, so Var of S² is about 2·sd⁴.
    expect(Math.abs(sumSq / n - sd * sd)).toBeLessThanOrEqual(5 * Math.sqrt((2 * sd ** 4) / n))
    expect(() => sumStandardDeviation(noise, 0)).toThrow(RangeError)
  })
  it('other levels and bad levels', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 10 }
    expect(halfWidth(noise, 0.5)).toBeLessThan(halfWidth(noise, 0.99))
    for (const bad of [0, 1, -1, Number.NaN]) expect(() => halfWidth(noise, bad)).toThrow(RangeError)
  })
})
