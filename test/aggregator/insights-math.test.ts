import { describe, expect, it } from 'vitest'
import { logBeta, logGamma } from '../../aggregator/insights/beta.ts'
import { lift, rankAffinities, type Transition } from '../../aggregator/insights/lift.ts'
import { controlVariant, offerInsights, relativeUplift } from '../../aggregator/insights/offers.ts'
import { probBest } from '../../aggregator/insights/prob-best.ts'
import {
  type Cell,
  coarsen,
  type Dims,
  segmentId,
  visitorsLowerBound,
} from '../../aggregator/insights/segments.ts'
import { wilsonInterval } from '../../aggregator/insights/wilson.ts'

describe('Wilson 95% interval', () => {
  // Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson score).
  it.each([
    [0, 10, 0, 0.2775],
    [5, 10, 0.2366, 0.7634],
    [50, 100, 0.4038, 0.5962],
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
  ])('%i of %i is [%f, %f]', (x, n, low, high) => {
    const interval = wilsonInterval(x, n)
    expect(interval.low).toBeCloseTo(low, 4)
    expect(interval.high).toBeCloseTo(high, 4)
  })

  it('knows nothing without trials and caps successes at trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 })
    expect(wilsonInterval(12, 10)).toEqual(wilsonInterval(10, 10))
  })
})

describe('log-gamma', () => {
  it('matches closed forms', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12)
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12)
    // ln 170! = ln Γ(171).
    expect(logGamma(171)).toBeCloseTo(706.5730622457874, 8)
    // B(2, 3) = 1! 2! / 4! = 1/12.
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12)
  })
})

// Evan Miller's closed form for P(B > A) with integer Beta parameters, as an independent check.
function chanceBBeatsA(a: { a: number; b: number }, b: { a: number; b: number }): number {
  let total = 0
  for (let i = 0; i < b.a; i++) {
    total += Math.exp(
      logBeta(a.a + i, a.b + b.b) - Math.log(b.b + i) - logBeta(1 + i, b.b) - logBeta(a.a, a.b),
    )
  }
  return total
}

describe('probability of being best', () => {
  it('splits evenly between identical arms', () => {
    const [x, y] = probBest([
      { conversions: 7, impressions: 100 },
      { conversions: 7, impressions: 100 },
    ])
    expect(x).toBeCloseTo(0.5, 6)
    expect(y).toBeCloseTo(0.5, 6)
    for (const chance of probBest(Array.from({ length: 3 }, () => ({ conversions: 3, impressions: 40 })))) {
      expect(chance).toBeCloseTo(1 / 3, 6)
    }
  })

  it('matches exact results', () => {
    // Beta(2, 1) against a uniform: ∫ 2x · x dx = 2/3.
    const [one, none] = probBest([
      { conversions: 1, impressions: 1 },
      { conversions: 0, impressions: 0 },
    ])
    expect(one).toBeCloseTo(2 / 3, 5)
    expect(none).toBeCloseTo(1 / 3, 5)
    const [, b] = probBest([
      { conversions: 20, impressions: 200 },
      { conversions: 30, impressions: 210 },
    ])
    expect(b).toBeCloseTo(chanceBBeatsA({ a: 21, b: 181 }, { a: 31, b: 181 }), 4)
  })

  it('is sure of clearly separated arms and sane for narrow posteriors', () => {
    const [low, high] = probBest([
      { conversions: 50, impressions: 1000 },
      { conversions: 100, impressions: 1000 },
    ])
    expect(high).toBeGreaterThan(0.9999)
    expect(low).toBeLessThan(0.0001)
    // 5.0% vs 5.1% on 100,000 impressions each: the normal approximation gives 0.846.
    const [, close] = probBest([
      { conversions: 5000, impressions: 100_000 },
      { conversions: 5100, impressions: 100_000 },
    ])
    expect(close).toBeCloseTo(0.846, 2)
    expect(probBest([{ conversions: 1, impressions: 9 }])).toEqual([1])
  })
})

describe('lift and affinity ranking', () => {
  it('is P(next | from) / P(next)', () => {
    expect(lift(10, 20, 40, 100)).toBeCloseTo(1.25, 12)
    expect(lift(0, 20, 40, 100)).toBe(0)
  })

  const t = (from: string, to: string, transitions: number, visitors: number): Transition => ({
    site: 'demo',
    from,
    to,
    toCategory: 'c',
    transitions,
    visitors,
  })

  it('ranks by lift over releasable pairs only, at most `limit` per product', () => {
    const ranked = rankAffinities(
      [t('a', 'b', 30, 20), t('a', 'c', 10, 8), t('a', 'x', 50, 2), t('d', 'b', 10, 9), t('d', 'c', 30, 25)],
      5,
    )
    // a→x is seen by 2 visitors: dropped, and not part of any total either.
    expect(ranked.find((row) => row.to === 'x')).toBeUndefined()
    // Totals over released pairs: T = 80, T(a→·) = 40, T(·→b) = 40, T(·→c) = 40.
    const ab = ranked.find((row) => row.from === 'a' && row.to === 'b')
    expect(ab?.lift).toBeCloseTo(30 / 40 / (40 / 80), 12)
    expect(ab?.rank).toBe(1)
    expect(ranked.find((row) => row.from === 'a' && row.to === 'c')?.rank).toBe(2)
    expect(ranked.find((row) => row.from === 'd' && row.to === 'c')?.rank).toBe(1)
    const many = Array.from({ length: 30 }, (_, i) => t('p', `n${String(i).padStart(2, '0')}`, 10, 10))
    const top = rankAffinities(many, 5, 20)
    expect(top).toHaveLength(20)
    // Equal lift and count: ties broken by product id, so the order is stable.
    expect(top.map((row) => row.to).slice(0, 2)).toEqual(['n00', 'n01'])
  })
})

const dims = (device: string, country: string, source: string, category: string): Dims => ({
  device,
  country,
  source,
  category,
})
const cell = (d: Dims, perDay: number[]): Cell => ({
  site: 'demo',
  dims: d,
  days: perDay.map((visitors, i) => ({
    day: `2026-11-0${i + 1}`,
    device: d.device,
    country: d.country,
    visitors,
  })),
})

describe('segments', () => {
  it('name cells with escaped values', () => {
    expect(segmentId(dims('mobile', 'DE', 'search', 'brakes'), ['source'])).toBe(
      'device=mobile|country=DE|source=*|category=brakes',
    )
    expect(segmentId(dims('mobile', 'DE', 'a|b=c', '*'))).toBe(
      'device=mobile|country=DE|source=a%7Cb%3Dc|category=%2A',
    )
  })

  it('count visitors conservatively: largest row within a (device, country) and day, summed across them', () => {
    const counts = [
      { day: 'd1', device: 'mobile', country: 'DE', visitors: 3 },
      { day: 'd1', device: 'mobile', country: 'DE', visitors: 4 },
      { day: 'd1', device: 'mobile', country: 'FR', visitors: 2 },
      { day: 'd2', device: 'mobile', country: 'DE', visitors: 1 },
    ]
    expect(visitorsLowerBound(counts)).toBe(4 + 2 + 1)
  })

  it('keep big cells, pool small ones by category, source, country, device in turn, and drop the rest', () => {
    const result = coarsen(
      [
        cell(dims('mobile', 'DE', 'search', 'brakes'), [3, 3]),
        cell(dims('mobile', 'DE', 'search', 'tyres'), [2]),
        cell(dims('mobile', 'DE', 'search', 'oil'), [1, 1]),
        cell(dims('mobile', 'FR', 'social', 'oil'), [2]),
        cell(dims('mobile', 'IT', 'direct', 'oil'), [3]),
        cell(dims('tablet', 'DE', 'direct', 'oil'), [1]),
      ],
      5,
    )
    expect(result.segments.map((segment) => [segment.id, segment.visitors])).toEqual([
      ['device=mobile|country=*|source=*|category=*', 8],
      ['device=mobile|country=DE|source=search|category=brakes', 6],
    ])
    // tyres and oil in mobile/DE/search: day 1 counts its largest row (2), day 2 adds 1: 3 < 5,
    // still 3 at source=*; at country=* they pool with FR (2) and IT (3), which no visitor
    // shares with DE: 2 + 2 + 3 on day 1, 1 on day 2. The tablet cell (1) is never enough.
    expect(result.suppressedCells).toBe(1)
    expect(result.segments.every((segment) => segment.visitors >= 5)).toBe(true)
  })
})

describe('offer insights', () => {
  it('compare each variant with its control and name the best arm of the segment', () => {
    expect(controlVariant(['b', 'control', 'a'])).toBe('control')
    expect(controlVariant(['b', 'a'])).toBe('a')
    expect(controlVariant(['b'])).toBeUndefined()
    expect(relativeUplift(0.15, 0.1)).toBeCloseTo(0.5, 12)
    expect(relativeUplift(0.15, 0)).toBe(0)

    const d = dims('mobile', 'DE', 'search', 'brakes')
    const coarsening = coarsen([cell(d, [40])], 5)
    const arm = (
      offerId: string,
      variant: string,
      impressions: number,
      conversions: number,
      visitors = 20,
    ) => ({
      site: 'demo',
      dims: d,
      offerId,
      variant,
      day: '2026-11-01',
      impressions,
      clicks: conversions * 2,
      conversions,
      revenue: conversions * 10,
      visitors,
    })
    const insights = offerInsights(
      [
        arm('spring', 'a', 200, 10),
        arm('spring', 'b', 200, 30),
        arm('winter', 'control', 200, 20),
        arm('winter', 'b', 200, 10),
        arm('tiny', 'a', 200, 199, 4),
      ],
      coarsening,
      5,
    )
    const get = (offer: string, variant: string) =>
      insights.find((row) => row.offerId === offer && row.variant === variant)
    // Seen by 4 visitors: not released, and no part of the others' chances.
    expect(get('tiny', 'a')).toBeUndefined()
    expect(get('spring', 'b')?.uplift).toBeCloseTo(2, 12)
    expect(get('spring', 'a')).toMatchObject({ isControl: true, uplift: 0 })
    expect(get('winter', 'b')?.uplift).toBeCloseTo(-0.5, 12)
    expect(get('spring', 'b')?.isBest).toBe(true)
    expect(insights.filter((row) => row.isBest)).toHaveLength(1)
    expect(insights.reduce((sum, row) => sum + row.probBest, 0)).toBeCloseTo(1, 9)
    expect(get('spring', 'b')).toMatchObject({ conversionRate: 0.15, revenue: 300, clicks: 60 })
    expect(get('spring', 'b')?.ciLow).toBeCloseTo(wilsonInterval(30, 200).low, 12)
  })
})
