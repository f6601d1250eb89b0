/**
 * When the dashboard calls a segment's best variant a recommendation. The insights job's P(best)
 * compares only the variants that reached `K_ANON` visitors, so a segment where one variant did
 * says P(best) = 1 about a comparison that never happened. A recommendation therefore needs at
 * least two variants to compare and P(best) of at least 95%; otherwise the best is "leading".
 */

export const CONFIDENT = 0.95

export type Verdict = 'recommended' | 'leading' | 'alone'

export function verdict(arms: readonly { is_best: boolean; prob_best: number }[]): Verdict {
  const best = arms.find((arm) => arm.is_best)
  if (!best || arms.length < 2) return 'alone'
  return best.prob_best >= CONFIDENT ? 'recommended' : 'leading'
}
