import { describe, expect, it } from 'vitest'
import {
  composeDays,
  composeRho,
  epsilonFor,
  gaussianRho,
  gaussianSigma,
  laplaceEpsilon,
  laplaceScaleFor,
  pureToRho,
  rhoFor,
  splitBudget,
} from '../../../core/dp/accounting.ts'

describe('zCDP accounting', () => {
  it('known values: Wikimedia ρ = 0.015, δ = 1e−7 is ε ≈ 0.998; σ = 10 for Δ2 = 1 is ρ = 0.005', () => {
    expect(epsilonFor(0.015, 1e-7)).toBeCloseTo(0.998, 3)
    expect(gaussianRho(1, 10)).toBeCloseTo(0.005, 15)
    expect(gaussianSigma(0.005, 1)).toBeCloseTo(10, 12)
    expect(gaussianRho(Math.sqrt(10), 10)).toBeCloseTo(0.05, 15)
  })
  it('ρ → ε → ρ and ε → ρ → ε round-trip across a grid of values', () => {
    for (const delta of [1e-12, 1e-9, 1e-7, 1e-5, 1e-3, 0.1]) {
      for (const rho of [1e-6, 1e-3, 0.015, 0.1, 1, 10]) {
        expect(rhoFor(epsilonFor(rho, delta), delta) / rho).toBeCloseTo(1, 10)
      }
      for (const eps of [1e-4, 0.1, 0.5, 1, 2, 8]) {
        expect(epsilonFor(rhoFor(eps, delta), delta) / eps).toBeCloseTo(1, 10)
      }
    }
  })
  it('σ ↔ ρ round-trips', () => {
    for (const sens of [1, 2, Math.sqrt(10)]) {
      for (const sigma of [0.5, 1, 10, 1000])
        expect(gaussianSigma(gaussianRho(sens, sigma), sens) / sigma).toBeCloseTo(1, 12)
    }
  })
  it('ε from ρ is increasing in ρ and decreasing in δ', () => {
    expect(epsilonFor(0.02, 1e-7)).toBeGreaterThan(epsilonFor(0.015, 1e-7))
    expect(epsilonFor(0.015, 1e-9)).toBeGreaterThan(epsilonFor(0.015, 1e-7))
  })
  it('composition: ρ adds across measurements and across days (30 days at 0.015 is ρ = 0.45, ε ≈ 5.84)', () => {
    expect(composeRho([0.005, 0.005, 0.005])).toBeCloseTo(0.015, 15)
    expect(composeDays(0.015, 30)).toBeCloseTo(0.45, 15)
    expect(epsilonFor(composeDays(0.015, 30), 1e-7)).toBeCloseTo(5.836, 3)
    expect(() => composeDays(0.015, 0)).toThrow(RangeError)
    expect(() => composeDays(0.015, 1.5)).toThrow(RangeError)
    expect(() => composeRho([0.01, Number.NaN])).toThrow(RangeError)
  })
  it('Laplace: scale = Δ1/ε and back; pure ε is ε²/2-zCDP', () => {
    expect(laplaceScaleFor(0.5, 2)).toBe(4)
    expect(laplaceEpsilon(2, 4)).toBe(0.5)
    expect(pureToRho(1)).toBe(0.5)
  })
  it('refuses non-finite, zero and negative parameters, and δ outside (0, 1)', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => gaussianRho(1, bad)).toThrow(RangeError)
      expect(() => gaussianSigma(bad, 1)).toThrow(RangeError)
      expect(() => epsilonFor(bad, 1e-7)).toThrow(RangeError)
      expect(() => rhoFor(bad, 1e-7)).toThrow(RangeError)
      expect(() => laplaceScaleFor(bad, 1)).toThrow(RangeError)
    }
    for (const bad of [0, 1, -0.1, 2, Number.NaN]) expect(() => epsilonFor(0.01, bad)).toThrow(RangeError)
  })
})

describe('splitBudget', () => {
  it('splits by weights in proportion, never over the total', () => {
    const shares = splitBudget(0.015, { day: 2, hour: 1, path: 1 })
    expect(shares.day / shares.hour).toBeCloseTo(2, 12)
    expect(shares.hour).toBe(shares.path)
    const sum = shares.day + shares.hour + shares.path
    expect(sum).toBeLessThanOrEqual(0.015)
    expect(sum / 0.015).toBeCloseTo(1, 12)
  })
  it('arrays too, and sums never exceed the total across many random-looking weight sets', () => {
    const weights = [3, 1e-9, 7.5, 1e6, 0.25]
    for (let i = 1; i <= 200; i++) {
      const w = weights.map((x, j) => x * (1 + ((i * (j + 3)) % 17)))
      const total = 0.001 * i
      expect(splitBudget(total, w).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(total)
    }
  })
  it('refuses weights that are not finite and positive, an empty split and a bad total', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => splitBudget(1, [1, bad])).toThrow(RangeError)
      expect(() => splitBudget(1, { a: 1, b: bad })).toThrow(RangeError)
      expect(() => splitBudget(bad, [1])).toThrow(RangeError)
    }
    expect(() => splitBudget(1, [])).toThrow(RangeError)
    expect(() => splitBudget(1, {})).toThrow(RangeError)
  })
})
