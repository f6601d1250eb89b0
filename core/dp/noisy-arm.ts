/** An arm as P(best) and Thompson sampling take it: counts of a Beta(1 + c, 1 + n − c) posterior. */
export type Arm = { conversions: number; impressions: number }

/** The two-sided 95 % quantile of the standard normal distribution. */
const Z_95 = 1.959963984540054

/**
 * An offer variant's posterior when its counts are released figures: conversions `c` and
 * impressions `n` each carry independent Gaussian noise of standard deviation σ_c and σ_n
 * (docs/privacy.md). Treating noisy counts as exact would make the posterior as narrow as if the
 * noise were data, and P(best) overconfident exactly where the counts are small. The posterior is
 * instead the Beta with the same mean and a variance that adds the noise's (moment matching):
 *
 *   p̃ = (c + 1) / (n + 2)                                  (the uniform prior's posterior mean)
 *   V = p̃(1 − p̃)/(n + 3) + (σ_c² + p̃² σ_n²)/n²            (sampling variance + the noise's, delta method)
 *   a + b = p̃(1 − p̃)/V − 1,   a = p̃ (a + b),   b = (1 − p̃)(a + b)
 *
 * Without noise this is exactly Beta(1 + c, 1 + n − c), the posterior of exact counts. The result is
 * given as the effective counts (`a − 1` conversions of `a + b − 2` impressions) that P(best)
 * (aggregator/insights/prob-best.ts) and the Thompson allocation (api/recommend/thompson.ts) take. Noisy counts are first clamped to 0 ≤ c ≤ n.
 */

export type NoisyCounts = {
  conversions: number
  impressions: number
  /** Standard deviations of the noise of each count (0 for exact counts). */
  conversionsSd: number
  impressionsSd: number
}

/** The moment-matched posterior's mean and variance (see above). */
export function noisyMoments(counts: NoisyCounts): { mean: number; variance: number } {
  const n = Math.max(0, counts.impressions)
  const c = Math.min(Math.max(0, counts.conversions), n)
  const mean = (c + 1) / (n + 2)
  const sampling = (mean * (1 - mean)) / (n + 3)
  const noise = n > 0 ? (counts.conversionsSd ** 2 + mean ** 2 * counts.impressionsSd ** 2) / n ** 2 : 0
  // Never wider than the uniform prior (variance 1/12): noise cannot make us know less than nothing.
  return { mean, variance: Math.min(sampling + noise, 1 / 12) }
}

/** Effective counts for P(best) and Thompson sampling: exact counts when there is no noise. */
export function effectiveArm(counts: NoisyCounts): Arm {
  const { mean, variance } = noisyMoments(counts)
  const total = (mean * (1 - mean)) / variance - 1
  const a = mean * total
  const b = (1 - mean) * total
  return { conversions: Math.max(0, a - 1), impressions: Math.max(0, a + b - 2) }
}

/** A 95 % interval of the conversion rate that includes the noise (normal approximation). */
export function noisyInterval(counts: NoisyCounts): { low: number; high: number } {
  const { mean, variance } = noisyMoments(counts)
  const half = Z_95 * Math.sqrt(variance)
  return { low: Math.max(0, mean - half), high: Math.min(1, mean + half) }
}
