import { effectiveArm, noisyInterval } from '../../core/dp/noisy-arm.ts'
import type { SegmentDevice } from '../../schemas/constants.ts'
import { type Figure, shown } from '../../warehouse/released/figures.ts'
import { controlVariant, type OfferInsight, relativeUplift } from './offers.ts'
import { probBest } from './prob-best.ts'
import { ANY, type Dims, LEVELS, type Segment, segmentId } from './segments.ts'

/**
 * Offer insights from released figures only (DP on): a post-processing of the `offer_arms` cells
 * (aggregator/release/measurements.ts), so it spends no budget and reads nothing that was not
 * released. The segments are the levels that measurement publishes, site-wide and per device:
 * under differential privacy a segment is not "the rest" of smaller cells, as under the k
 * threshold, but a grouping set of its own, noised and thresholded on its own.
 *
 * An arm's unit is the visitor-day: `exposed` visitor-days saw the variant, `converted` of them
 * bought with it credited. Both carry noise, so the posterior that P(best) and the Thompson
 * allocation use is the moment-matched Beta of core/dp/noisy-arm.ts, never the noisy counts as
 * if they were exact: a small arm's noise widens its posterior instead of faking certainty.
 */

/** One offer variant's released figures over the window, site-wide (`device` `*`) or per device. */
export type ReleasedArm = {
  site: string
  device: SegmentDevice
  offerId: string
  variant: string
  exposed: Figure
  converted: Figure
}

export type ReleasedSegment = Segment & { visitorsSd: number }

export type ReleasedOfferInsight = OfferInsight & {
  segment: ReleasedSegment
  impressionsSd: number
  conversionsSd: number
}

/** The segment of a released level: every dimension `*` but the device, or all of them. */
export function releasedSegmentDims(device: SegmentDevice): { dims: Dims; id: string } {
  const dims: Dims = { device, country: ANY, source: ANY, category: ANY }
  const level = device === ANY ? LEVELS[4] : LEVELS[3]
  return { dims, id: segmentId(dims, level) }
}

export function releasedOfferInsights(arms: readonly ReleasedArm[]): {
  segments: ReleasedSegment[]
  offers: ReleasedOfferInsight[]
} {
  const bySegment = new Map<string, ReleasedArm[]>()
  for (const arm of arms) {
    const key = `${arm.site}\u0000${arm.device}`
    bySegment.set(key, [...(bySegment.get(key) ?? []), arm])
  }
  const segments: ReleasedSegment[] = []
  const offers: ReleasedOfferInsight[] = []
  for (const group of bySegment.values()) {
    const first = group[0] as ReleasedArm
    const { dims, id } = releasedSegmentDims(first.device)
    // The segment's visitors: the sum of its arms' exposed visitor-days, as released.
    const segment: ReleasedSegment = {
      site: first.site,
      id,
      dims,
      visitors: group.reduce((sum, arm) => sum + shown(arm.exposed), 0),
      visitorsSd: Math.sqrt(group.reduce((sum, arm) => sum + arm.exposed.stddev ** 2, 0)),
      cells: [],
    }
    segments.push(segment)
    const sorted = [...group].sort((x, y) => compare(x.offerId, y.offerId) || compare(x.variant, y.variant))
    const counts = sorted.map(noisyCounts)
    const chances = probBest(counts.map(effectiveArm))
    const best = chances.reduce((top, chance, i) => (chance > (chances[top] as number) ? i : top), 0)
    sorted.forEach((arm, i) => {
      const own = counts[i] as ReturnType<typeof noisyCounts>
      const siblings = sorted.filter((other) => other.offerId === arm.offerId)
      const control = controlVariant(siblings.map((other) => other.variant))
      const controlIndex = sorted.findIndex(
        (other) => other.offerId === arm.offerId && other.variant === control,
      )
      const interval = noisyInterval(own)
      offers.push({
        segment,
        offerId: arm.offerId,
        variant: arm.variant,
        isControl: arm.variant === control,
        impressions: own.impressions,
        impressionsSd: own.impressionsSd,
        // Clicks and revenue are not among the arms' released measures (null in the API).
        clicks: 0,
        conversions: own.conversions,
        conversionsSd: own.conversionsSd,
        revenue: 0,
        visitors: own.impressions,
        conversionRate: rate(own),
        ciLow: interval.low,
        ciHigh: interval.high,
        uplift:
          controlIndex >= 0 && controlIndex !== i
            ? relativeUplift(rate(own), rate(counts[controlIndex] as ReturnType<typeof noisyCounts>))
            : 0,
        probBest: chances[i] as number,
        isBest: i === best,
      })
    })
  }
  segments.sort((x, y) => compare(x.site, y.site) || compare(x.id, y.id))
  return { segments, offers }
}

/** Shown counts (non-negative integers, conversions at most exposures) with their noise. */
function noisyCounts(arm: ReleasedArm) {
  const impressions = shown(arm.exposed)
  return {
    impressions,
    conversions: Math.min(shown(arm.converted), impressions),
    impressionsSd: arm.exposed.stddev,
    conversionsSd: arm.converted.stddev,
  }
}

const rate = (arm: { conversions: number; impressions: number }) =>
  arm.impressions > 0 ? arm.conversions / arm.impressions : 0

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
