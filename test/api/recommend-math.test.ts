import { describe, expect, it } from 'vitest'
import { probBest } from '../../aggregator/insights/prob-best.ts'
import { DEFAULT_RECOMMEND_PROB_BEST, decide } from '../../api/recommend/decision.ts'
import { resolutionPath, resolveSegment } from '../../api/recommend/resolve.ts'
import {
  beta,
  cryptoRandom,
  sampleIndex,
  thompsonAllocation,
  thompsonDraw,
} from '../../api/recommend/thompson.ts'
import { seededRandom } from '../support/seeded-random.ts'

/*
 * The pure parts of GET /api/v1/recommend: Thompson allocation against the numerical P(best) the
 * insights job computes, the decision rule at its boundaries, and segment resolution at every
 * coarsening level.
 */

const ARMS = [
  { conversions: 12, impressions: 200 },
  { conversions: 18, impressions: 210 },
  { conversions: 15, impressions: 190 },
]

describe('Thompson allocation', () => {
  it('draws Beta(a, b) with the analytic mean and variance', () => {
    const random = seededRandom(7)
    for (const [a, b] of [
      [3, 40],
      [1, 1],
      [120, 880],
    ] as const) {
      const draws = Array.from({ length: 40_000 }, () => beta(a, b, random))
      const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length
      const variance = draws.reduce((sum, x) => sum + (x - mean) ** 2, 0) / draws.length
      const trueMean = a / (a + b)
      const trueVariance = (a * b) / ((a + b) ** 2 * (a + b + 1))
      expect(Math.abs(mean - trueMean)).toBeLessThan(5 * Math.sqrt(trueVariance / draws.length))
      expect(variance / trueVariance).toBeGreaterThan(0.95)
      expect(variance / trueVariance).toBeLessThan(1.05)
    }
  })

  it('gives shares that sum to 1 and match the numerical P(best) within sampling error', () => {
    const draws = 40_000
    const shares = thompsonAllocation(ARMS, seededRandom(1), draws)
    const reference = probBest(ARMS)
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 12)
    shares.forEach((share, i) => {
      const p = reference[i] as number
      // Four standard errors of a proportion estimated from `draws` rounds.
      expect(Math.abs(share - p), `arm ${i}: ${share} vs ${p}`).toBeLessThan(
        4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3,
      )
    })
    // The reference is not flat, so matching it means something.
    expect(Math.max(...reference) - Math.min(...reference)).toBeGreaterThan(0.3)
  })

  it('matches a lopsided reference too, where one arm is almost surely best', () => {
    const arms = [
      { conversions: 5, impressions: 400 },
      { conversions: 60, impressions: 400 },
    ]
    const shares = thompsonAllocation(arms, seededRandom(3), 20_000)
    const reference = probBest(arms)
    expect(reference[1]).toBeGreaterThan(0.999)
    expect(Math.abs((shares[1] as number) - (reference[1] as number))).toBeLessThan(2e-3)
  })

  it('is deterministic with a seeded source and varies with the seed', () => {
    const first = thompsonAllocation(ARMS, seededRandom(42), 2000)
    expect(thompsonAllocation(ARMS, seededRandom(42), 2000)).toEqual(first)
    expect(thompsonAllocation(ARMS, seededRandom(43), 2000)).not.toEqual(first)
  })

  it('gives no shares without arms and everything to a lone arm', () => {
    expect(thompsonAllocation([], seededRandom(1))).toEqual([])
    expect(thompsonAllocation([ARMS[0] as (typeof ARMS)[number]], seededRandom(1))).toEqual([1])
  })

  it('draws from node:crypto in [0, 1), and its allocation sums to 1', () => {
    const random = cryptoRandom()
    const values = Array.from({ length: 5000 }, random)
    expect(values.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(values).size).toBe(values.length)
    const shares = thompsonAllocation(ARMS, random, 4000)
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 12)
  })

  it('samples a variant with the allocation’s frequencies (choose=sample)', () => {
    const random = seededRandom(9)
    const shares = [0.2, 0.5, 0.3]
    const counts = [0, 0, 0]
    for (let i = 0; i < 30_000; i++) {
      const index = sampleIndex(shares, random)
      counts[index] = (counts[index] as number) + 1
    }
    counts.forEach((count, i) => {
      expect(Math.abs(count / 30_000 - (shares[i] as number))).toBeLessThan(0.015)
    })
    // One Thompson round picks the better arm about as often as P(best) says.
    const wins = Array.from({ length: 10_000 }, () => thompsonDraw(ARMS, random)).filter((i) => i === 1)
    expect(Math.abs(wins.length / 10_000 - (probBest(ARMS)[1] as number))).toBeLessThan(0.03)
  })
})

describe('decision', () => {
  const level = DEFAULT_RECOMMEND_PROB_BEST
  const two = (top: number) => [
    { variant: 'a', prob_best: 1 - top },
    { variant: 'b', prob_best: top },
  ]

  it('recommends at exactly the level and leads just below it', () => {
    expect(level).toBe(0.95)
    expect(decide(two(0.95), level)).toMatchObject({ decision: 'recommended', best: { variant: 'b' } })
    expect(decide(two(0.9499999), level)).toMatchObject({ decision: 'leading', best: { variant: 'b' } })
    expect(decide(two(0.8), 0.8).decision).toBe('recommended')
    expect(decide(two(0.7999), 0.8).decision).toBe('leading')
  })

  it('calls a lone released variant alone, whatever its P(best), and nothing released explore', () => {
    expect(decide([{ variant: 'a', prob_best: 1 }], level)).toMatchObject({
      decision: 'alone',
      best: { variant: 'a' },
    })
    expect(decide([], level)).toEqual({ decision: 'explore', best: undefined })
  })

  it('breaks a tie by the order given', () => {
    const tie = [
      { variant: 'a', prob_best: 0.5 },
      { variant: 'b', prob_best: 0.5 },
    ]
    expect(decide(tie, level)).toMatchObject({ decision: 'leading', best: { variant: 'a' } })
  })
})

describe('segment resolution', () => {
  const visitor = { device: 'mobile', country: 'DE', source: 'paid', category: 'wipers' }
  const ids = [
    'device=mobile|country=DE|source=paid|category=wipers',
    'device=mobile|country=DE|source=paid|category=*',
    'device=mobile|country=DE|source=*|category=*',
    'device=mobile|country=*|source=*|category=*',
    'device=*|country=*|source=*|category=*',
  ]

  it('walks the coarsening order, finest first', () => {
    expect(resolutionPath(visitor).map((step) => step.id)).toEqual(ids)
  })

  it('stops at each level when that level is the finest one released', () => {
    ids.forEach((id, level) => {
      const released = new Set(ids.slice(level))
      const step = resolveSegment(visitor, (candidate) => released.has(candidate))
      expect(step?.id).toBe(id)
      expect(step?.coarsened.length).toBe(level)
    })
  })

  it('returns nothing for a visitor no released segment matches (the caller falls back to the site)', () => {
    const released = new Set(['device=desktop|country=*|source=*|category=*'])
    expect(resolveSegment(visitor, (id) => released.has(id))).toBeUndefined()
    expect(resolveSegment({ country: 'GB' }, (id) => released.has(id))).toBeUndefined()
  })

  it('skips the levels that keep a dimension the visitor did not give', () => {
    expect(resolutionPath({ device: 'mobile', country: 'DE', category: 'wipers' }).map((s) => s.id)).toEqual(
      ids.slice(2),
    )
    expect(resolutionPath({}).map((s) => s.id)).toEqual(ids.slice(4))
  })

  it('escapes the characters ids are built from, as the insights job does', () => {
    const [first] = resolutionPath({ ...visitor, category: 'a|b=*' })
    expect(first?.id).toBe('device=mobile|country=DE|source=paid|category=a%7Cb%3D%2A')
  })
})
