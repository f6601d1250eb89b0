/**
 * The Wilson score interval for a binomial proportion: unlike the normal ("Wald") interval it
 * stays inside [0, 1] and is honest for small samples and rates near 0 or 1, which is what
 * conversion rates per segment are.
 */

/** The two-sided 95% quantile of the standard normal distribution. */
export const Z_95 = 1.959963984540054

export type Interval = { low: number; high: number }

export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (trials <= 0) return { low: 0, high: 1 }
  // More conversions than impressions can happen (a purchase carrying an offer seen outside the
  // window); the rate is then capped, not allowed to leave [0, 1].
  const p = Math.min(Math.max(successes, 0), trials) / trials
  const z2 = z * z
  const denominator = 1 + z2 / trials
  const centre = (p + z2 / (2 * trials)) / denominator
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}
