import { z } from 'zod'
import { POOLED_SCOPE } from '../schemas/held-back.ts'
import { Limit, recoQuery, SegmentIdParam } from './params.ts'
import { getAffinity } from './queries/getAffinity.ts'
import { getHeldBack } from './queries/getHeldBack.ts'
import { getOfferInsights } from './queries/getOfferInsights.ts'
import { getSegments } from './queries/getSegments.ts'
import { offerDecisions } from './recommend/decision.ts'
import { recommendRoute } from './recommend/recommend-route.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'
import type { ReadContext } from './route-spec.ts'
import { AffinityRow, RecoOfferRow, SegmentRow } from './rows.ts'
import { upliftOrNull } from './uplift.ts'

/**
 * `/api/v1/*`: the recommendation service's reads of the insights job's snapshots. Versioned:
 * fields may be added; a change that removes or renames one is `/api/v2`.
 */

// The insights job already counts `visitors` in the reco_* tables as a lower bound (largest row
// within a device and country on finalized days), so that count is its own floor.
const conservative = <Row extends { visitors: number }>(rows: Row[]) =>
  rows.map((row) => ({ ...row, visitors_floor: row.visitors }))

// A differentially private snapshot's rows carry their noise as `sd`; a k-threshold one's are exact.
const noisy = (ctx: ReadContext) => ctx.release === 'differential-privacy'

// What the insights job held back from each list never reached reco_*: the route adds its count
// to `suppressed` (released-route.ts).
const withHeld = <Row>(rows: Row[], held: number | undefined) => ({ rows, heldBack: held ?? 0 })

const affinity = releasedRoute({
  path: '/affinity',
  summary: 'Products viewed next after a product, strongest first',
  description:
    'From the latest insights run: for `product`, the next products ranked by lift. `suppressed` includes the pairs the insights job held back under K_ANON (for a product with no pair released, those of all such products, pooled). With differential privacy on: made from released figures only, each row with its noise (`sd`), `suppressed` null.',
  shape: 'list',
  snapshot: true,
  query: recoQuery({
    product: z.string().min(1).max(128).describe('Product id, as the shop sends it.'),
    limit: Limit,
  }),
  row: AffinityRow,
  handler: async (query, ctx) => {
    const [rows, held] = await Promise.all([
      getAffinity(ctx.warehouse, { ...query, release: ctx.release }),
      getHeldBack(ctx.warehouse, {
        site: query.site,
        list: 'affinity',
        scope: query.product,
        also: POOLED_SCOPE,
        release: ctx.release,
      }),
    ])
    const shaped = rows.map(({ transitions_sd, visitors_sd, ...row }) =>
      noisy(ctx) ? { ...row, sd: { transitions: transitions_sd, visitors: visitors_sd } } : row,
    )
    // A product none of whose pairs was written is never named in the counts: it reads the pool
    // of all such products' held-back pairs.
    return withHeld(conservative(shaped), held.get(rows.length > 0 ? query.product : POOLED_SCOPE))
  },
})

const offers = releasedRoute({
  path: '/offers',
  summary: 'Offer variants in a segment, best first',
  description:
    'From the latest insights run: conversion with its Wilson interval, uplift against control, probability of being best and the decision, per offer and variant. `suppressed` includes the variants the insights job held back under K_ANON, so a segment with no rows says how many it has. With differential privacy on: made from released figures only, each row with its noise (`sd`), `suppressed` null.',
  shape: 'list',
  snapshot: true,
  query: recoQuery({
    segment: SegmentIdParam,
    limit: Limit,
  }),
  row: RecoOfferRow,
  handler: async (query, ctx) => {
    const [rows, held] = await Promise.all([
      getOfferInsights(ctx.warehouse, { ...query, release: ctx.release }),
      getHeldBack(ctx.warehouse, {
        site: query.site,
        list: 'offers',
        scope: query.segment,
        release: ctx.release,
      }),
    ])
    // Decided over the rows the gate will release, so a held-back row never counts as a variant.
    const released = rows.filter((row) =>
      ctx.meetsK({ visitors: row.visitors, visitors_floor: row.visitors }),
    )
    const decisions = offerDecisions(released, ctx.recommendProbBest)
    const decided = upliftOrNull(rows).map(({ impressions_sd, conversions_sd, ...row }) => ({
      ...row,
      decision: decisions.get(row.offer_id) ?? ('alone' as const),
      ...(noisy(ctx)
        ? {
            clicks: null,
            revenue: null,
            sd: { impressions: impressions_sd, conversions: conversions_sd, visitors: impressions_sd },
          }
        : {}),
    }))
    return withHeld(conservative(decided), held.get(query.segment))
  },
})

const segments = releasedRoute({
  path: '/segments',
  summary: 'The segments offers are tuned for',
  description:
    'From the latest insights run: device × country × source × category of interest, coarsened (`*`) until each holds K_ANON visitors. `suppressed` includes the cells still under K_ANON with every dimension coarsened away. With differential privacy on: made from released figures only, each row with its noise (`sd`), `suppressed` null.',
  shape: 'list',
  snapshot: true,
  query: recoQuery({ limit: Limit }),
  row: SegmentRow,
  handler: async (query, ctx) => {
    const [rows, held] = await Promise.all([
      getSegments(ctx.warehouse, { ...query, release: ctx.release }),
      getHeldBack(ctx.warehouse, { site: query.site, list: 'segments', scope: '', release: ctx.release }),
    ])
    const shaped = rows.map(({ visitors_sd, ...row }) =>
      noisy(ctx) ? { ...row, sd: { visitors: visitors_sd } } : row,
    )
    return withHeld(conservative(shaped), held.get(''))
  },
})

export const RECO_ROUTES: readonly ReleasedRoute[] = [recommendRoute, affinity, offers, segments]
