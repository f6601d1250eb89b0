import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { type HeldBack, heldBack } from './held-back.ts'
import { rankAffinities } from './lift.ts'
import { heldBackArms, offerInsights } from './offers.ts'
import { readArmDays, readCells, readTransitions, type Window } from './read.ts'
import { readReleasedArms, readReleasedTransitions } from './read-released.ts'
import { releasedOfferInsights } from './released-offers.ts'
import { coarsen } from './segments.ts'

/**
 * One insights snapshot's rows, table by table, before `computed_at` is stamped on them
 * (aggregator/jobs/insights.ts writes them). Two ways to make them, one per release mode, stored
 * in tables of its own (`reco_*`, `reco_*_released` of migration 0041), so that readers take only
 * a snapshot of their own mode:
 *
 * - `k-threshold` (DP_EPSILON=off): from the rollups, segments coarsened until each has K_ANON
 *   visitors; what was held back is counted (reco_held_back).
 * - `differential-privacy`: from released cells only (read-released.ts), a post-processing that
 *   spends no budget. Each figure carries its noise; what missed a release threshold was never
 *   published, so there is nothing to count and no held-back row.
 */

type Row = Record<string, unknown>

export type SnapshotRows = {
  /** Which tables the rows go to: `reco_*`, or `reco_*_released` (migration 0041). */
  release: Release
  reco_segments: Row[]
  reco_offers: Row[]
  reco_affinity: Row[]
  reco_held_back: Row[]
  counts: {
    segments: number
    suppressedCells: number
    /** Offer variants of written segments that were held back. */
    heldVariants: number
    /** Product pairs held back. */
    heldPairs: number
    offers: number
    affinities: number
  }
}

export async function kSnapshot(warehouse: Warehouse, window: Window, kAnon: number): Promise<SnapshotRows> {
  const cells = await readCells(warehouse, window)
  const coarsening = coarsen(cells, kAnon)
  const armDays = await readArmDays(warehouse, window)
  const offers = offerInsights(armDays, coarsening, kAnon)
  const transitions = await readTransitions(warehouse, window)
  const affinities = rankAffinities(transitions, kAnon)
  const held = heldBack({
    sites: [...cells, ...transitions].map((group) => group.site),
    coarsening,
    heldArms: heldBackArms(armDays, coarsening, kAnon),
    transitions,
    kAnon,
  })
  return {
    release: 'k-threshold',
    reco_segments: coarsening.segments.map((segment) => ({
      site: segment.site,
      segment: segment.id,
      ...segment.dims,
      visitors: segment.visitors,
    })),
    reco_offers: offers.map(offerRow),
    reco_affinity: affinities.map(affinityRow),
    reco_held_back: held,
    counts: {
      segments: coarsening.segments.length,
      suppressedCells: coarsening.suppressedCells,
      heldVariants: sumHeld(held, 'offers'),
      heldPairs: sumHeld(held, 'affinity'),
      offers: offers.length,
      affinities: affinities.length,
    },
  }
}

export async function releasedSnapshot(
  warehouse: Warehouse,
  window: Window,
  kAnon: number,
): Promise<SnapshotRows> {
  const { segments, offers } = releasedOfferInsights(await readReleasedArms(warehouse, window))
  const transitions = await readReleasedTransitions(warehouse, window)
  // K_ANON stays a floor on released figures, as in the publish job's thresholds.
  const affinities = rankAffinities(transitions, kAnon)
  const noise = new Map(transitions.map((t) => [`${t.site}\u0000${t.from}\u0000${t.to}`, t]))
  return {
    release: 'differential-privacy',
    reco_segments: segments.map((segment) => ({
      site: segment.site,
      segment: segment.id,
      ...segment.dims,
      visitors: segment.visitors,
      visitors_sd: segment.visitorsSd,
    })),
    reco_offers: offers.map((offer) => {
      // Clicks and revenue are not among the arms' released measures: the table has no column.
      const { clicks: _clicks, revenue: _revenue, ...row } = offerRow(offer)
      return { ...row, impressions_sd: offer.impressionsSd, conversions_sd: offer.conversionsSd }
    }),
    reco_affinity: affinities.map((affinity) => {
      const sd = noise.get(`${affinity.site}\u0000${affinity.from}\u0000${affinity.to}`)
      return {
        ...affinityRow(affinity),
        transitions_sd: sd?.transitionsSd ?? 0,
        visitors_sd: sd?.visitorsSd ?? 0,
      }
    }),
    reco_held_back: [],
    counts: {
      segments: segments.length,
      suppressedCells: 0,
      heldVariants: 0,
      heldPairs: 0,
      offers: offers.length,
      affinities: affinities.length,
    },
  }
}

const offerRow = (offer: ReturnType<typeof offerInsights>[number]): Row => ({
  site: offer.segment.site,
  segment: offer.segment.id,
  ...offer.segment.dims,
  offer_id: offer.offerId,
  variant: offer.variant,
  is_control: offer.isControl ? 1 : 0,
  impressions: offer.impressions,
  clicks: offer.clicks,
  conversions: offer.conversions,
  revenue: offer.revenue,
  visitors: offer.visitors,
  conversion_rate: offer.conversionRate,
  ci_low: offer.ciLow,
  ci_high: offer.ciHigh,
  uplift: offer.uplift,
  prob_best: offer.probBest,
  is_best: offer.isBest ? 1 : 0,
})

const affinityRow = (affinity: ReturnType<typeof rankAffinities>[number]): Row => ({
  site: affinity.site,
  product_id: affinity.from,
  next_product_id: affinity.to,
  next_category: affinity.toCategory,
  rank: affinity.rank,
  transitions: affinity.transitions,
  visitors: affinity.visitors,
  lift: affinity.lift,
})

const sumHeld = (rows: readonly HeldBack[], list: HeldBack['list']) =>
  rows.reduce((sum, row) => sum + (row.list === list ? row.held : 0), 0)
