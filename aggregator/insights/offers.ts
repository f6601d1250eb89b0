import { probBest } from './prob-best.ts'
import {
  type Coarsening,
  cellKey,
  type DailyCount,
  type Dims,
  type Segment,
  visitorsLowerBound,
} from './segments.ts'
import { wilsonInterval } from './wilson.ts'

/**
 * Offer performance per segment: for each offer × variant, impressions, clicks, conversions
 * (purchases carrying the offer), revenue, the conversion rate (conversions / impressions) with
 * its Wilson 95% interval, the probability of being the segment's best arm, and the uplift
 * against the offer's control variant.
 */

/** One fine cell's figures for one offer variant on one day, as read from `offers_daily`. */
export type ArmDay = {
  site: string
  dims: Dims
  offerId: string
  variant: string
  day: string
  impressions: number
  clicks: number
  conversions: number
  revenue: number
  visitors: number
}

export type OfferInsight = {
  segment: Segment
  offerId: string
  variant: string
  isControl: boolean
  impressions: number
  clicks: number
  conversions: number
  revenue: number
  visitors: number
  conversionRate: number
  ciLow: number
  ciHigh: number
  /** Relative to the control's rate: 0.25 is 25% better. 0 for the control itself, and when the
   * offer has no released control or its control never converted. */
  uplift: number
  probBest: number
  isBest: boolean
}

/** The variant an offer's others are compared with: `control`, or `a` when there is none. */
export function controlVariant(variants: readonly string[]): string | undefined {
  if (variants.includes('control')) return 'control'
  if (variants.includes('a')) return 'a'
  return undefined
}

export function relativeUplift(rate: number, controlRate: number): number {
  return controlRate > 0 ? (rate - controlRate) / controlRate : 0
}

type Totals = Omit<ArmDay, 'site' | 'dims' | 'day' | 'visitors'> & { segment: Segment; days: DailyCount[] }

/** Each offer variant's figures per segment, pooled from its fine cells; cells of no segment are left out. */
function armTotals(arms: readonly ArmDay[], coarsening: Coarsening): Array<Totals & { visitors: number }> {
  const totals = new Map<string, Totals>()
  for (const arm of arms) {
    const segment = coarsening.segmentOf.get(cellKey(arm.site, arm.dims))
    if (!segment) continue
    const key = `${segment.site}\u0000${segment.id}\u0000${arm.offerId}\u0000${arm.variant}`
    const total = totals.get(key) ?? {
      segment,
      offerId: arm.offerId,
      variant: arm.variant,
      impressions: 0,
      clicks: 0,
      conversions: 0,
      revenue: 0,
      days: [],
    }
    total.impressions += arm.impressions
    total.clicks += arm.clicks
    total.conversions += arm.conversions
    total.revenue += arm.revenue
    total.days.push({
      day: arm.day,
      device: arm.dims.device,
      country: arm.dims.country,
      visitors: arm.visitors,
    })
    totals.set(key, total)
  }
  return [...totals.values()].map((total) => ({ ...total, visitors: visitorsLowerBound(total.days) }))
}

/** Whether an arm is written: k visitors, and impressions to rate its conversions against. */
const releasable = (arm: { visitors: number; impressions: number }, kAnon: number) =>
  arm.visitors >= kAnon && arm.impressions > 0

/**
 * How many offer variants of each segment `offerInsights` holds back (fewer than `kAnon`
 * visitors, or no impression): counts by segment, never the variants themselves.
 */
export function heldBackArms(
  arms: readonly ArmDay[],
  coarsening: Coarsening,
  kAnon: number,
): Map<Segment, number> {
  const held = new Map<Segment, number>()
  for (const total of armTotals(arms, coarsening)) {
    if (!releasable(total, kAnon)) held.set(total.segment, (held.get(total.segment) ?? 0) + 1)
  }
  return held
}

export function offerInsights(
  arms: readonly ArmDay[],
  coarsening: Coarsening,
  kAnon: number,
): OfferInsight[] {
  // Only releasable arms take part, so that no suppressed arm shapes a released figure.
  const bySegment = new Map<Segment, (Totals & { visitors: number })[]>()
  for (const total of armTotals(arms, coarsening)) {
    if (!releasable(total, kAnon)) continue
    const released = bySegment.get(total.segment) ?? []
    released.push(total)
    bySegment.set(total.segment, released)
  }

  const insights: OfferInsight[] = []
  for (const [segment, released] of bySegment) {
    released.sort((x, y) => compare(x.offerId, y.offerId) || compare(x.variant, y.variant))
    const chances = probBest(released)
    const best = chances.reduce((top, chance, i) => (chance > (chances[top] as number) ? i : top), 0)
    const rate = (arm: { conversions: number; impressions: number }) =>
      Math.min(arm.conversions, arm.impressions) / arm.impressions
    released.forEach((arm, i) => {
      const siblings = released.filter((other) => other.offerId === arm.offerId)
      const control = controlVariant(siblings.map((other) => other.variant))
      const controlArm = siblings.find((other) => other.variant === control)
      const interval = wilsonInterval(arm.conversions, arm.impressions)
      insights.push({
        segment,
        offerId: arm.offerId,
        variant: arm.variant,
        isControl: arm.variant === control,
        impressions: arm.impressions,
        clicks: arm.clicks,
        conversions: arm.conversions,
        revenue: arm.revenue,
        visitors: arm.visitors,
        conversionRate: rate(arm),
        ciLow: interval.low,
        ciHigh: interval.high,
        uplift: controlArm && controlArm !== arm ? relativeUplift(rate(arm), rate(controlArm)) : 0,
        probBest: chances[i] as number,
        isBest: i === best,
      })
    })
  }
  return insights
}

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
