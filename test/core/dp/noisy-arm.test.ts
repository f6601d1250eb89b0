import { describe, expect, it } from 'vitest'
import { posterior, probBest } from '../../../aggregator/insights/prob-best.ts'
import { effectiveArm, noisyInterval, noisyMoments } from '../../../core/dp/noisy-arm.ts'
import { seededRandom } from '../../support/seeded-random.ts'

/*
 * Offer posteriors from released (noisy) counts (core/dp/noisy-arm.ts): exact counts
 * give the usual Beta(1 + c, 1 + n − c); noise widens the posterior by its own variance, so P(best)
 * is not overconfident and the interval covers the true rate as often as it says.
 */

const exact = (conversions: number, impressions: number) => ({
  conversions,
  impressions,
  conversionsSd: 0,
  impressionsSd: 0,
})

describe('a posterior from noisy counts', () => {
  it('is the exact-count posterior when there is no noise', () => {
    for (const [c, n] of [
      [0, 0],
      [0, 10],
      [3, 10],
      [40, 1000],
      [999, 1000],
    ] as const) {
      const arm = effectiveArm(exact(c, n))
      expect(posterior(arm).a).toBeCloseTo(posterior({ conversions: c, impressions: n }).a, 6)
      expect(posterior(arm).b).toBeCloseTo(posterior({ conversions: c, impressions: n }).b, 6)
    }
  })

  it('widens with the noise, keeps its mean, and never knows less than the prior', () => {
    const quiet = noisyMoments(exact(40, 1000))
    const noisy = noisyMoments({ conversions: 40, impressions: 1000, conversionsSd: 20, impressionsSd: 100 })
    expect(noisy.mean).toBe(quiet.mean)
    expect(noisy.variance).toBeGreaterThan(5 * quiet.variance)
    expect(effectiveArm({ ...exact(40, 1000), conversionsSd: 20 }).impressions).toBeLessThan(300)
    // Noise far larger than the counts: the uniform prior's variance, no narrower, no wider.
    const lost = noisyMoments({ conversions: 3, impressions: 10, conversionsSd: 500, impressionsSd: 500 })
    expect(lost.variance).toBeCloseTo(1 / 12, 10)
    // Noise that took a count below zero or conversions past impressions is clamped first.
    expect(noisyMoments({ ...exact(-7, 100), conversionsSd: 3 }).mean).toBeCloseTo(1 / 102, 10)
    expect(noisyMoments({ ...exact(130, 100), conversionsSd: 3 }).mean).toBeCloseTo(101 / 102, 10)
  })

  it('is less sure of the better arm than exact counts would make it', () => {
    const naive = probBest([effectiveArm(exact(30, 1000)), effectiveArm(exact(45, 1000))])
    const noise = { conversionsSd: 20, impressionsSd: 100 }
    const aware = probBest([
      effectiveArm({ ...exact(30, 1000), ...noise }),
      effectiveArm({ ...exact(45, 1000), ...noise }),
    ])
    expect(naive[1]).toBeGreaterThan(0.95)
    expect(aware[1]).toBeGreaterThan(0.5)
    expect(aware[1]).toBeLessThan(0.8)
  })

  it('gives a 95 % interval that covers the true rate about 95 % of the time under noise', () => {
    const random = seededRandom(15)
    const gaussian = () => {
      const u = Math.max(random(), 1e-12)
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
    }
    const trials = 4000
    let covered = 0
    for (let t = 0; t < trials; t++) {
      const rate = 0.02 + 0.1 * random()
      const n = 2000
      let c = 0
      for (let i = 0; i < n; i++) if (random() < rate) c++
      const sd = { conversionsSd: 25, impressionsSd: 150 }
      const interval = noisyInterval({
        conversions: c + sd.conversionsSd * gaussian(),
        impressions: n + sd.impressionsSd * gaussian(),
        ...sd,
      })
      if (interval.low <= rate && rate <= interval.high) covered++
    }
    // Binomial sampling error of the coverage over 4,000 trials is about 0.35 %.
    expect(covered / trials).toBeGreaterThan(0.93)
    expect(covered / trials).toBeLessThan(0.975)
  })
})
