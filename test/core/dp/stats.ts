/**
 * Tolerances for the statistical tests, derived from the sampling error rather than tuned by hand.
 * A statistic estimated from n independent draws has standard error √(Var/n); a check allows Z of
 * them. Z = 5 makes a false failure of one check 5.7e−7 under the hypothesis (two-sided normal),
 * so the whole suite of a few hundred checks fails by chance with probability below 1e−3 — and the
 * seeded source makes each run identical anyway.
 */
export const Z = 5

/** |estimate − expected| allowed for a mean of n draws whose single-draw variance is `variance`. */
export function meanTolerance(variance: number, n: number): number {
  return Z * Math.sqrt(variance / n)
}

/** |p̂ − p| allowed for a frequency over n Bernoulli(p) trials. */
export function proportionTolerance(p: number, n: number): number {
  return Z * Math.sqrt((p * (1 - p)) / n)
}

/**
 * The chi-square critical value for `df` degrees of freedom at upper-tail probability ~5.7e−7
 * (the normal quantile Z), by the Wilson–Hilferty approximation
 * χ² ≈ df·(1 − 2/(9df) + Z·√(2/(9df)))³, accurate to a few percent for df ≥ 2.
 */
export function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df)
  return df * (1 - a + Z * Math.sqrt(a)) ** 3
}

/** Pearson's statistic Σ (observed − expected)² / expected. */
export function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  let stat = 0
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number
    const o = observed[i] as number
    stat += ((o - e) * (o - e)) / e
  }
  return stat
}
