import { describe, expect, it } from 'vitest'
import { upperTail } from '../../../core/dp/distribution.ts'
import { type NoiseSpec, noiseSampler, sampledNoise } from '../../../core/dp/noise.ts'
import { seededRandom } from '../../../core/dp/random.ts'
import { releaseProbability, releaseThreshold, threshold } from '../../../core/dp/threshold.ts'
import { proportionTolerance } from './stats.ts'

const NOISES: NoiseSpec[] = [
  { mechanism: 'discrete-gaussian', sigma: 0.5 },
  { mechanism: 'discrete-gaussian', sigma: 1 },
  { mechanism: 'discrete-gaussian', sigma: 10 },
  { mechanism: 'discrete-gaussian', sigma: 1000 },
  { mechanism: 'discrete-laplace', scale: 0.5 },
  { mechanism: 'discrete-laplace', scale: 10 },
  { mechanism: 'discrete-laplace', scale: 1000 },
]

describe('partition-selection threshold', () => {
  it('a one-visitor partition passes τ with probability ≤ δ/L0, and τ is the smallest such integer', () => {
    for (const noise of NOISES) {
      for (const [l0, delta] of [
        [1, 1e-7],
        [10, 1e-7],
        [5, 1e-5],
        [1, 0.05],
      ] as const) {
        const tau = threshold({ noise, maxPartitions: l0, delta })
        expect(releaseProbability(noise, 1, tau)).toBeLessThanOrEqual(delta / l0)
        expect(releaseProbability(noise, 1, tau - 1)).toBeGreaterThan(delta / l0 / (1 + 1e-6))
      }
    }
  })
  it('matches the closed form for the discrete Laplace: τ = 1 + ⌈b·ln(L0 / (δ(1 + q)))⌉', () => {
    for (const scale of [0.5, 10, 1000]) {
      const b = (sampledNoise({ mechanism: 'discrete-laplace', scale }) as { scale: number }).scale
      const q = Math.exp(-1 / b)
      const tau = threshold({
        noise: { mechanism: 'discrete-laplace', scale },
        maxPartitions: 10,
        delta: 1e-7,
      })
      expect(Math.abs(tau - (1 + Math.ceil(b * Math.log(10 / (1e-7 * (1 + q))))))).toBeLessThanOrEqual(1)
    }
  })
  it('the Wikimedia-like setting (σ = 10, δ = 1e−7, L0 = 1) gives τ = 54, within the Gaussian tail 5.2σ', () => {
    expect(
      threshold({ noise: { mechanism: 'discrete-gaussian', sigma: 10 }, maxPartitions: 1, delta: 1e-7 }),
    ).toBe(54)
  })
  it('grows with L0, shrinks with δ, and moves with the visitor’s largest contribution', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 10 }
    const base = threshold({ noise, maxPartitions: 1, delta: 1e-7 })
    expect(threshold({ noise, maxPartitions: 100, delta: 1e-7 })).toBeGreaterThan(base)
    expect(threshold({ noise, maxPartitions: 1, delta: 1e-3 })).toBeLessThan(base)
    expect(threshold({ noise, maxPartitions: 1, delta: 1e-7, maxContribution: 3 })).toBe(base + 2)
  })
  it('empirically: 100,000 one-visitor partitions at a loose δ/L0 = 0.01 are released at the analytic rate', () => {
    for (const noise of [NOISES[1], NOISES[2], NOISES[5]] as NoiseSpec[]) {
      const tau = threshold({ noise, maxPartitions: 5, delta: 0.05 })
      const sampler = noiseSampler(noise)
      const random = seededRandom(`threshold-${JSON.stringify(noise)}`)
      const n = 100_000
      let released = 0
      for (let i = 0; i < n; i++) if (1 + sampler.sample(random) >= tau) released++
      const p = releaseProbability(noise, 1, tau)
      expect(p).toBeLessThanOrEqual(0.01)
      expect(Math.abs(released / n - p)).toBeLessThanOrEqual(proportionTolerance(p, n))
      expect(released / n).toBeLessThanOrEqual(0.01 + proportionTolerance(0.01, n))
    }
  })
  it('uses the rounded-up noise actually sampled (its tail is the heavier)', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 10 }
    const sampled = sampledNoise(noise)
    expect(upperTail(sampled, 40)).toBeGreaterThanOrEqual(upperTail(noise, 40))
    const tau = threshold({ noise, maxPartitions: 1, delta: 1e-7 })
    expect(upperTail(sampled, tau - 1)).toBeLessThanOrEqual(1e-7)
  })
  it('releaseThreshold is max(τ, K_ANON)', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 1 }
    const tau = threshold({ noise, maxPartitions: 1, delta: 1e-7 })
    expect(releaseThreshold({ noise, maxPartitions: 1, delta: 1e-7, kAnon: 5 })).toBe(Math.max(tau, 5))
    expect(releaseThreshold({ noise, maxPartitions: 1, delta: 1e-7, kAnon: 100 })).toBe(100)
    expect(releaseThreshold({ noise, maxPartitions: 1, delta: 1e-7, kAnon: 1 })).toBe(tau)
  })
  it('refuses bad parameters', () => {
    const noise: NoiseSpec = { mechanism: 'discrete-gaussian', sigma: 1 }
    expect(() => threshold({ noise, maxPartitions: 0, delta: 1e-7 })).toThrow(RangeError)
    expect(() => threshold({ noise, maxPartitions: 1.5, delta: 1e-7 })).toThrow(RangeError)
    expect(() => threshold({ noise, maxPartitions: 1, delta: 0 })).toThrow(RangeError)
    expect(() => threshold({ noise, maxPartitions: 1, delta: 1 })).toThrow(RangeError)
    expect(() => threshold({ noise, maxPartitions: 1, delta: 1e-7, maxContribution: 0 })).toThrow(RangeError)
    expect(() => releaseThreshold({ noise, maxPartitions: 1, delta: 1e-7, kAnon: 0 })).toThrow(RangeError)
  })
})
