/**
 * Privacy accounting in zero-concentrated DP (zCDP, Bun & Steinke 2016) and pure ε-DP.
 *
 * - A mechanism is ρ-zCDP if for neighbouring inputs the Rényi divergence of order α between its
 *   outputs is at most ρ·α for every α > 1.
 * - Gaussian: adding N_Z(0, σ²) (discrete) to an integer query of L2 sensitivity Δ2 is
 *   ρ = Δ2²/(2σ²)-zCDP. Scalar: for integers μ, D_α(N_Z(μ, σ²) ‖ N_Z(0, σ²)) ≤ α·μ²/(2σ²), as for the
 *   continuous Gaussian (CKS 2020, Theorem 4). Vector with independent noise per coordinate: Rényi
 *   divergence adds over independent coordinates, so the bound is α·Σμ_j²/(2σ²) ≤ α·Δ2²/(2σ²).
 *   Only the zCDP bound is this clean; a direct (ε, δ) analysis of the discrete vector differs.
 * - Composition: ρ adds. k measurements of one visitor-day with ρ_1..ρ_k are Σρ_i-zCDP; a visitor
 *   present on d days, each day's release ρ-zCDP for that visitor-day, is protected at d·ρ
 *   (`composeDays`): 30 days at ρ = 0.015 is ρ = 0.45, i.e. ε ≈ 5.84 at δ = 1e−7.
 * - Conversion: ρ-zCDP implies (ε, δ)-DP for every δ > 0 with ε = ρ + 2·√(ρ·ln(1/δ))
 *   (Bun & Steinke 2016, Proposition 1.3); `rhoFor` is its exact inverse.
 * - Laplace: adding Lap_Z(b) to an integer query of L1 sensitivity Δ1 is ε = Δ1/b pure DP, and pure
 *   ε-DP implies ε²/2-zCDP (Bun & Steinke 2016, Proposition 1.4), so both kinds share one ledger.
 */

function positive(name: string, x: number): void {
  if (!Number.isFinite(x) || x <= 0)
    throw new RangeError(`${name} must be a finite positive number, got ${x}`)
}

function probability(name: string, x: number): void {
  if (!Number.isFinite(x) || x <= 0 || x >= 1) throw new RangeError(`${name} must be in (0, 1), got ${x}`)
}

/** ρ = Δ2² / (2σ²): the zCDP of the (discrete) Gaussian mechanism. */
export function gaussianRho(sensitivityL2: number, sigma: number): number {
  positive('sensitivity', sensitivityL2)
  positive('sigma', sigma)
  return (sensitivityL2 * sensitivityL2) / (2 * sigma * sigma)
}

/** σ = Δ2 / √(2ρ): the smallest σ whose Gaussian mechanism is ρ-zCDP. */
export function gaussianSigma(rho: number, sensitivityL2: number): number {
  positive('rho', rho)
  positive('sensitivity', sensitivityL2)
  return sensitivityL2 / Math.sqrt(2 * rho)
}

/** ε = ρ + 2·√(ρ·ln(1/δ)): the (ε, δ)-DP implied by ρ-zCDP. */
export function epsilonFor(rho: number, delta: number): number {
  positive('rho', rho)
  probability('delta', delta)
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta))
}

/**
 * ρ = (√(L + ε) − √L)², L = ln(1/δ): the largest ρ whose conversion gives ε. It solves
 * x² + 2√L·x − ε = 0 for x = √ρ (the positive root). Written as ε² / (√(L + ε) + √L)² to avoid
 * cancellation when ε ≪ L.
 */
export function rhoFor(epsilon: number, delta: number): number {
  positive('epsilon', epsilon)
  probability('delta', delta)
  const l = Math.log(1 / delta)
  const root = Math.sqrt(l + epsilon) + Math.sqrt(l)
  return (epsilon * epsilon) / (root * root)
}

/** b = Δ1 / ε: the discrete Laplace scale for pure ε-DP. */
export function laplaceScaleFor(epsilon: number, sensitivityL1: number): number {
  positive('epsilon', epsilon)
  positive('sensitivity', sensitivityL1)
  return sensitivityL1 / epsilon
}

/** ε = Δ1 / b: the pure DP of the (discrete) Laplace mechanism. */
export function laplaceEpsilon(sensitivityL1: number, scale: number): number {
  positive('sensitivity', sensitivityL1)
  positive('scale', scale)
  return sensitivityL1 / scale
}

/** ρ = ε²/2: the zCDP implied by pure ε-DP. */
export function pureToRho(epsilon: number): number {
  positive('epsilon', epsilon)
  return (epsilon * epsilon) / 2
}

/** Σρ_i: sequential composition of zCDP measurements of the same visitor-day. */
export function composeRho(rhos: readonly number[]): number {
  let total = 0
  for (const rho of rhos) {
    positive('rho', rho)
    total += rho
  }
  return total
}

/** d·ρ: what a visitor present on `days` days is protected by when each day is ρ-zCDP. */
export function composeDays(rhoPerDay: number, days: number): number {
  positive('rho', rhoPerDay)
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a positive integer, got ${days}`)
  return rhoPerDay * days
}

/**
 * Splits a budget (ρ, or ε under basic composition) in proportion to weights: share_i =
 * total·w_i/Σw. The shares compose back to at most `total` in any summation order: the division,
 * the n products and a sum of n doubles each err by a relative 2^−53 at most, (2n + 4)·2^−53 in
 * all, so the shares are scaled down by (n + 3)·2^−50, more than that. Weights must be finite and
 * positive: a zero weight would ask for infinite noise, a negative one for a negative budget.
 */
export function splitBudget<K extends string>(
  total: number,
  weights: Readonly<Record<K, number>>,
): Record<K, number>
export function splitBudget(total: number, weights: readonly number[]): number[]
export function splitBudget(
  total: number,
  weights: Readonly<Record<string, number>> | readonly number[],
): Record<string, number> | number[] {
  positive('total', total)
  const entries = Array.isArray(weights)
    ? weights.map((w, i) => [String(i), w] as const)
    : Object.entries(weights as Record<string, number>)
  if (entries.length === 0) throw new RangeError('splitBudget: no weights')
  let sum = 0
  for (const [key, w] of entries) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
      throw new RangeError(`splitBudget: weight ${key} must be a finite positive number, got ${w}`)
    }
    sum += w
  }
  const scale = (total / sum) * (1 - (entries.length + 3) * 2 ** -50)
  if (Array.isArray(weights)) return (weights as number[]).map((w) => w * scale)
  return Object.fromEntries(entries.map(([key, w]) => [key, w * scale]))
}
