import { z } from 'zod'

/**
 * The privacy guarantee of released figures, per visitor-day: configured once (`DP_EPSILON`,
 * `DP_DELTA`), recorded with every publication, and stated on every answer of the read API and
 * on the dashboard. docs/privacy.md holds the math.
 *
 * Defaults: ε = 1 and δ = 1e-7 per visitor-day, Wikimedia's daily pageview release (zCDP
 * ρ ≈ 0.015/day). δ well below one over the number of visitor-days a site sees in a year.
 */
export const DEFAULT_EPSILON = 1
export const DEFAULT_DELTA = 1e-7

export const MECHANISM = 'discrete-gaussian' as const

/**
 * How a figure was released: as post-processing of the released, noised figures
 * (`differential-privacy`), or through the K_ANON gate from the rollups (`k-threshold`), which the
 * guarantee does not cover. Every read-API answer says which (api/answer-meta.ts), and the
 * recommendation snapshots of each kind live in tables of their own (migration 0041).
 */
export const Release = z
  .enum(['differential-privacy', 'k-threshold'])
  .describe(
    'differential-privacy: every figure of this answer is post-processing of the released (noised, thresholded) figures, and `privacy` applies to it. k-threshold: this answer is still read from the rollups through the K_ANON gate; `privacy` does not apply to it.',
  )
export type Release = z.infer<typeof Release>

export const Privacy = z.discriminatedUnion('mechanism', [
  z.object({
    mechanism: z.literal(MECHANISM),
    epsilon: z.number().positive().describe('ε per visitor-day.'),
    delta: z.number().positive().lt(1).describe('δ per visitor-day.'),
  }),
  z.object({
    mechanism: z.literal('off'),
    epsilon: z.null(),
    delta: z.null(),
    warning: z.string(),
  }),
])
export type Privacy = z.infer<typeof Privacy>

export const DP_OFF_WARNING =
  'DP_EPSILON=off: figures are published WITHOUT noise and are not differentially private; never in production'

const number = (min: number, max: number) => (raw: string, ctx: z.RefinementCtx) => {
  const value = Number(raw)
  if (!/^[0-9.eE+-]+$/.test(raw) || !Number.isFinite(value) || value <= min || value >= max) {
    ctx.addIssue({ code: 'custom', message: `must be a number above ${min} and below ${max}` })
    return z.NEVER
  }
  return value
}

/** `DP_EPSILON`: a number in (0, 50), or `off` (no noise; refused in production). */
export const DpEpsilon = z
  .string()
  .default(String(DEFAULT_EPSILON))
  .transform((raw, ctx) => (raw === 'off' ? ('off' as const) : number(0, 50)(raw, ctx)))

/** `DP_DELTA`: a probability in (0, 1e-3). */
export const DpDelta = z.string().default(String(DEFAULT_DELTA)).transform(number(0, 1e-3))

/**
 * The guarantee from the parsed variables. `production` (NODE_ENV=production) refuses `off`:
 * the escape hatch exists for tests of arithmetic and local debugging only.
 */
export function privacyFrom(epsilon: number | 'off', delta: number, production: boolean): Privacy {
  if (epsilon === 'off') {
    if (production) throw new Error('DP_EPSILON: off is refused when NODE_ENV=production')
    return { mechanism: 'off', epsilon: null, delta: null, warning: DP_OFF_WARNING }
  }
  return { mechanism: MECHANISM, epsilon, delta }
}
