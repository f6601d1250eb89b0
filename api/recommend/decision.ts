/**
 * What a client acts on: the rule the dashboard calls "Recommended", in one place. P(best)
 * compares only the variants released (at least K_ANON visitors), so a segment where one variant
 * reached K_ANON says P(best) = 1 about a comparison that never happened: a recommendation
 * needs at least two released variants and P(best) of at least `level`.
 */

export const DECISIONS = ['recommended', 'leading', 'alone', 'explore'] as const
export type Decision = (typeof DECISIONS)[number]

/** The default of RECOMMEND_PROB_BEST. */
export const DEFAULT_RECOMMEND_PROB_BEST = 0.95

export type Candidate = { variant: string; prob_best: number }

/**
 * `explore` when no variant is released, `alone` when one is, otherwise `recommended` when the
 * most probable best variant's P(best) reaches `level` and `leading` when it does not. Ties go to
 * the variant listed first, so the answer is the same on every process.
 */
export function decide<Arm extends Candidate>(
  arms: readonly Arm[],
  level: number,
): { decision: Decision; best: Arm | undefined } {
  const best = arms.reduce<Arm | undefined>(
    (top, arm) => (top === undefined || arm.prob_best > top.prob_best ? arm : top),
    undefined,
  )
  if (!best) return { decision: 'explore', best }
  if (arms.length < 2) return { decision: 'alone', best }
  return { decision: best.prob_best >= level ? 'recommended' : 'leading', best }
}

/** The dashboard's badge for a segment's released arms: `decide` where nothing released reads `alone`. */
export type Verdict = Exclude<Decision, 'explore'>

export function verdict<Arm extends { prob_best: number }>(
  arms: readonly Arm[],
  level = DEFAULT_RECOMMEND_PROB_BEST,
): Verdict {
  const { decision } = decide(
    arms.map((arm, i) => ({ variant: String(i), prob_best: arm.prob_best })),
    level,
  )
  return decision === 'explore' ? 'alone' : decision
}
