import { offerDecisions } from '../api/recommend/decision.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { type SeedReport, trueBestFor } from './seed.ts'

/**
 * The offer insights of a differentially private snapshot against the demo's truth, read from
 * the snapshot tables as the recommendation service's API reads them: per segment, the best
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

type Row = {
  segment: string
  device: string
  country: string
  source: string
  category: string
  offer_id: string
  variant: string
  prob_best: number
  is_best: number
  impressions: number
}

const SQL = `SELECT segment, device, country, source, category, offer_id, variant, prob_best, is_best, impressions
  FROM reco_offers_released FINAL WHERE site = 'demo'
    AND computed_at = (SELECT max(computed_at) FROM reco_offers_released WHERE site = 'demo')
  ORDER BY segment, offer_id, variant`

export async function releasedVerdicts(
  warehouse: Warehouse,
  report: SeedReport,
  options: { window: { from: string; to: string }; level: number },
): Promise<ReleasedVerdict[]> {
  const rows = await (await warehouse.client.query({ query: SQL, format: 'JSONEachRow' })).json<Row>()
  const bySegment = new Map<string, Row[]>()
  for (const row of rows) bySegment.set(row.segment, [...(bySegment.get(row.segment) ?? []), row])
  return [...bySegment].map(([segment, arms]) => {
    const best = arms.find((arm) => Number(arm.is_best) === 1) ?? (arms[0] as Row)
    const decisions = offerDecisions(
      arms.map((arm) => ({ offer_id: arm.offer_id, prob_best: Number(arm.prob_best) })),
      options.level,
    )
    return {
      segment,
      variant: best.variant,
      probBest: Number(best.prob_best),
      decision: decisions.get(best.offer_id) ?? 'alone',
      truth: trueBestFor(best, report, options.window),
      exposed: arms.reduce((sum, arm) => sum + Number(arm.impressions), 0),
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
