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

/**
 * The decision on each offer of one segment's rows, as /api/v1/recommend would answer it for a
 * visitor of that segment: `decide` over the offer's variants. `/api/v1/offers` states it on every
 * row, so that clients and the dashboard act on the configured level instead of re-deriving it.
 */
export function offerDecisions(
  rows: readonly { offer_id: string; prob_best: number }[],
  level: number,
): Map<string, Exclude<Decision, 'explore'>> {
  const byOffer = new Map<string, Array<{ variant: string; prob_best: number }>>()
  for (const row of rows) {
    const arms = byOffer.get(row.offer_id) ?? []
    arms.push({ variant: String(arms.length), prob_best: row.prob_best })
    byOffer.set(row.offer_id, arms)
  }
  // Every offer here has a row, so none is `explore`.
  return new Map(
    [...byOffer].map(([offer, arms]) => {
      const { decision } = decide(arms, level)
      return [offer, decision === 'explore' ? 'alone' : decision]
    }),
  )
}
