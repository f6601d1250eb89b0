import { describe, expect, it } from 'vitest'
import { probBest } from '../../aggregator/insights/prob-best.ts'
import {
  type ReleasedArm,
  releasedOfferInsights,
  releasedSegmentDims,
} from '../../aggregator/insights/released-offers.ts'
import { posterior } from '../../api/recommend/thompson.ts'
import { effectiveArm } from '../../core/dp/noisy-arm.ts'

/*
 * Offer insights from released cells (aggregator/insights/released-offers.ts): the segments are
 * the released levels, noisy counts are shown as non-negative integers with their noise, and
 * P(best) comes from the noise-widened posteriors, never from the noisy counts taken as exact.
 */

const arm = (
  device: ReleasedArm['device'],
  variant: string,
  exposed: number,
  converted: number,
  sd = { exposed: 90, converted: 30 },
): ReleasedArm => ({
  site: 'shop',
  device,
  offerId: 'hero',
  variant,
  exposed: { value: exposed, stddev: sd.exposed },
  converted: { value: converted, stddev: sd.converted },
})

describe('offer insights from released figures', () => {
  it('makes one segment per released level: site-wide and per device', () => {
    const { segments } = releasedOfferInsights([
      arm('*', 'control', 9000, 300),
      arm('*', 'b', 9000, 700),
      arm('mobile', 'control', 4000, 120),
      arm('mobile', 'b', 4000, 400),
    ])
    expect(segments.map((segment) => segment.id)).toEqual([
      releasedSegmentDims('*').id,
      releasedSegmentDims('mobile').id,
    ])
    expect(releasedSegmentDims('mobile').id).toBe('device=mobile|country=*|source=*|category=*')
    expect(releasedSegmentDims('*').id).toBe('device=*|country=*|source=*|category=*')
    const mobile = segments[1]
    expect(mobile?.visitors).toBe(8000)
    expect(mobile?.visitorsSd).toBeCloseTo(Math.sqrt(2) * 90, 9)
  })

  it('shows noisy counts as integers in 0..exposed, with their noise', () => {
    const { offers } = releasedOfferInsights([arm('*', 'control', 812.6, -14.2), arm('*', 'b', 20.4, 31.7)])
    const control = offers.find((offer) => offer.variant === 'control')
    const b = offers.find((offer) => offer.variant === 'b')
    expect(control).toMatchObject({ impressions: 813, conversions: 0, impressionsSd: 90, conversionsSd: 30 })
    expect(b).toMatchObject({ impressions: 20, conversions: 20 })
    expect(control?.isControl).toBe(true)
    // A control that never converted gives no uplift to compare against (0 here; null in the API).
    expect(b?.uplift).toBe(0)
  })

  it('is less sure than the noisy counts taken as exact would be', () => {
    const arms = [arm('*', 'control', 1000, 40), arm('*', 'b', 1000, 60)]
    const { offers } = releasedOfferInsights(arms)
    const naive = probBest([
      { impressions: 1000, conversions: 40 },
      { impressions: 1000, conversions: 60 },
    ])
    const b = offers.find((offer) => offer.variant === 'b')
    expect(naive[1]).toBeGreaterThan(0.95)
    expect(b?.probBest).toBeLessThan(0.8)
    expect(b?.probBest).toBeGreaterThan(0.5)
    expect(b?.isBest).toBe(true)
    // Its interval includes the noise: wider than the sampling error alone.
    expect((b?.ciHigh ?? 0) - (b?.ciLow ?? 0)).toBeGreaterThan(0.05)
  })

  it('still tells variants apart when the difference is large against the noise', () => {
    const { offers } = releasedOfferInsights([
      arm('mobile', 'control', 3600, 86),
      arm('mobile', 'free-shipping', 3600, 375),
      arm('mobile', 'ten-off', 3600, 158),
    ])
    const best = offers.find((offer) => offer.isBest)
    expect(best?.variant).toBe('free-shipping')
    expect(best?.probBest).toBeGreaterThan(0.99)
  })
})

describe('Thompson posteriors of released arms', () => {
  it('are the exact Beta without noise, and the widened one with it', () => {
    expect(posterior({ impressions: 100, conversions: 7 })).toEqual({ a: 8, b: 94 })
    const noisy = posterior({ impressions: 100, conversions: 7, impressions_sd: 90, conversions_sd: 30 })
    const effective = effectiveArm({ impressions: 100, conversions: 7, impressionsSd: 90, conversionsSd: 30 })
    expect(noisy.a).toBeCloseTo(1 + effective.conversions, 9)
    // Fewer effective trials: the noise is worth less than data.
    expect(noisy.a + noisy.b).toBeLessThan(102)
  })
})
