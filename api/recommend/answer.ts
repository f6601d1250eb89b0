import { ANY, DIMENSIONS, type Dims } from '../../schemas/segments.ts'
import type { Recommendation } from './answer-schema.ts'
import { decide } from './decision.ts'
import { resolveSegment, type Visitor } from './resolve.ts'
import { SITE_SCOPE } from './snapshot-index.ts'
import { type RandomSource, thompsonDraw } from './thompson.ts'

/**
 * The recommendation for one visitor, from released figures only: the variants of one offer that
 * passed the release gate, in the segments on the visitor's path and site-wide. Pure: the
 * allocation (cached per snapshot by the caller) and the random source are injected.
 */

export type ReleasedArm = {
  scope: string
  variant: string
  impressions: number
  conversions: number
  /** Their noise, in a differentially private snapshot: Thompson sampling widens the posterior. */
  impressions_sd?: number
  conversions_sd?: number
  prob_best: number | null
  visitors: number
}

export type RecommendInput = {
  site: string
  offer: string | null
  visitor: Visitor
  released: readonly ReleasedArm[]
  level: number
  choose: 'best' | 'sample'
  computedAt: string | null
  /** The Thompson shares of `arms` (all of one scope), in their order. */
  allocate(scope: string, arms: readonly ReleasedArm[]): number[]
  random: RandomSource
}

export function recommendation(input: RecommendInput): Recommendation {
  const byScope = new Map<string, ReleasedArm[]>()
  for (const arm of input.released) {
    const list = byScope.get(arm.scope) ?? []
    list.push(arm)
    byScope.set(arm.scope, list)
  }
  const step = resolveSegment(input.visitor, (id) => byScope.has(id))
  const scope = step ? step.id : SITE_SCOPE
  const arms = byScope.get(scope) ?? []
  const shares = arms.length > 0 ? input.allocate(scope, arms) : []
  // Site-wide totals have no P(best) from the job; their Thompson share estimates it.
  const candidates = arms.map((arm, i) => ({
    arm,
    variant: arm.variant,
    prob_best: arm.prob_best ?? (shares[i] as number),
  }))
  const { decision, best } = decide(candidates, input.level)
  const drawn =
    input.choose === 'sample' && arms.length > 0 ? arms[thompsonDraw(arms, input.random)] : best?.arm
  const anyDims: Dims = { device: ANY, country: ANY, source: ANY, category: ANY }
  const dims = step?.dims ?? anyDims
  return {
    site: input.site,
    offer: input.offer,
    segment: {
      id: step?.id ?? null,
      ...dims,
      // The visitor's device and source were validated against these classes (params.ts).
      device: dims.device as Recommendation['segment']['device'],
      source: dims.source as Recommendation['segment']['source'],
      coarsened: step ? [...step.coarsened] : [...DIMENSIONS].reverse(),
      site_wide: step === undefined,
    },
    variant: drawn?.variant ?? null,
    decision,
    prob_best: best?.prob_best ?? null,
    prob_best_level: input.level,
    allocation: arms.map((arm, i) => ({
      variant: arm.variant,
      share: shares[i] as number,
      impressions: arm.impressions,
      conversions: arm.conversions,
    })),
    choose: input.choose,
    visitors: arms.reduce((sum, arm) => sum + arm.visitors, 0),
    computed_at: input.computedAt,
  }
}
