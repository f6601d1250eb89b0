import { getOfferSnapshot, type OfferSnapshotRow } from '../api/queries/getOfferSnapshot.ts'
import { offerDecisions } from '../api/recommend/decision.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { type SeedReport, trueBestFor } from './seed.ts'

/**
 * The offer insights of a differentially private snapshot against the demo's truth, read as
 * /api/v1/recommend reads them (getOfferSnapshot): per segment, the best
 * variant, its P(best), the decision (RECOMMEND_PROB_BEST applied) and the variant that truly
 * converts best over the same window. Returns the lines to print and the scored segments.
 */

export type ReleasedVerdict = {
  segment: string
  variant: string
  probBest: number
  decision: string
  truth: string
  exposed: number
}

export async function releasedVerdicts(
  warehouse: Warehouse,
  report: SeedReport,
  options: { window: { from: string; to: string }; level: number },
): Promise<ReleasedVerdict[]> {
  const rows = await getOfferSnapshot(warehouse, { site: 'demo', release: 'differential-privacy' })
  const bySegment = new Map<string, OfferSnapshotRow[]>()
  for (const row of rows) bySegment.set(row.segment, [...(bySegment.get(row.segment) ?? []), row])
  return [...bySegment].map(([segment, arms]) => {
    // The best arm is the one most probably best (the snapshot's `is_best`).
    const best = arms.reduce((top, arm) => (arm.prob_best > top.prob_best ? arm : top))
    const decisions = offerDecisions(arms, options.level)
    return {
      segment,
      variant: best.variant,
      probBest: best.prob_best,
      decision: decisions.get(best.offer_id) ?? 'alone',
      truth: trueBestFor(best, report, options.window),
      exposed: arms.reduce((sum, arm) => sum + arm.impressions, 0),
    }
  })
}

export async function releasedRecovery(
  warehouse: Warehouse,
  report: SeedReport,
  options: { now: Date; window: { from: string; to: string }; level: number },
): Promise<string> {
  const verdicts = await releasedVerdicts(warehouse, report, options)
  const recommended = verdicts.filter((one) => one.decision === 'recommended')
  const right = recommended.filter((one) => one.variant === one.truth).length
  return [
    `offer insights from released figures, ${options.window.from} to ${options.window.to}: ${verdicts.length} segments released; recommended ${recommended.length}, the true best in ${right} of them`,
    ...verdicts.map(
      (one) =>
        `  ${one.segment}  exposed ${one.exposed}  best ${one.variant} P(best) ${one.probBest.toFixed(3)} ${one.decision}  truly ${one.truth}`,
    ),
  ].join('\n')
}
