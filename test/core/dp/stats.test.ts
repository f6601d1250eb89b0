import { describe, expect, it } from 'vitest'
import { ALPHA, chiSquareCritical, chiSquareSurvival, Z } from './stats.ts'

describe('the tolerances of the statistical tests', () => {
  it('ALPHA is the two-sided normal tail beyond Z = 5, i.e. P(χ²_1 ≥ 25)', () => {
    expect(Z).toBe(5)
    expect(chiSquareSurvival(1, 25) / ALPHA).toBeCloseTo(1, 8)
  })
  it('chi-square survival matches table values (df 2 closed form; df 4, 10, 100 at the 5 % points)', () => {
    expect(chiSquareSurvival(2, 10)).toBeCloseTo(Math.exp(-5), 14)
    expect(chiSquareSurvival(4, 9.4877)).toBeCloseTo(0.05, 5)
    expect(chiSquareSurvival(10, 18.307)).toBeCloseTo(0.05, 5)
    expect(chiSquareSurvival(100, 124.342)).toBeCloseTo(0.05, 5)
  })
  it('the critical value is the ALPHA quantile (df 2: −2·ln ALPHA)', () => {
    expect(chiSquareCritical(2)).toBeCloseTo(-2 * Math.log(ALPHA), 6)
    for (const df of [1, 5, 30, 99])
      expect(chiSquareSurvival(df, chiSquareCritical(df)) / ALPHA).toBeCloseTo(1, 5)
  })
})
