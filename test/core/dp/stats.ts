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

/** Two-sided normal tail beyond Z: the false-alarm level every check here shares (≈ 5.73e−7). */
export const ALPHA = 5.733031438470704e-7

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e−14). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const y = x - 1
  let a = c[0] as number
  const t = y + 7.5
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (y + i)
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function: the series for
 * x < a + 1, Lentz's continued fraction otherwise (Numerical Recipes §6.2).
 */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a))
  if (x < a + 1) {
    let term = 1 / a
    let sum = term
    for (let n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= x / (a + n)
      sum += term
    }
    return 1 - sum * front
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const step = d * c
    h *= step
    if (Math.abs(step - 1) < 1e-16) break
  }
  return front * h
}

/** P(χ²_df ≥ x). */
export function chiSquareSurvival(df: number, x: number): number {
  return upperGamma(df / 2, x / 2)
}

/** The chi-square critical value for `df` degrees of freedom at upper-tail probability ALPHA. */
export function chiSquareCritical(df: number): number {
  let lo = 0
  let hi = df + 10
  while (chiSquareSurvival(df, hi) > ALPHA) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2
    if (chiSquareSurvival(df, mid) > ALPHA) lo = mid
    else hi = mid
  }
  return hi
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
