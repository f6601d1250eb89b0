import { z } from 'zod'
import { Limit, recoQuery, SegmentIdParam } from './params.ts'
import { getAffinity } from './queries/getAffinity.ts'
import { getOfferInsights } from './queries/getOfferInsights.ts'
import { getSegments } from './queries/getSegments.ts'
import { recommendRoute } from './recommend/recommend-route.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'
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

const affinity = releasedRoute({
  path: '/affinity',
  summary: 'Products viewed next after a product, strongest first',
  description: 'From the latest insights run: for `product`, the next products ranked by lift.',
  shape: 'list',
  query: recoQuery({
    product: z.string().min(1).max(128).describe('Product id, as the shop sends it.'),
    limit: Limit,
  }),
  row: AffinityRow,
  handler: async (query, ctx) => conservative(await getAffinity(ctx.warehouse, query)),
})

const offers = releasedRoute({
  path: '/offers',
  summary: 'Offer variants in a segment, best first',
  description:
    'From the latest insights run: conversion with its Wilson interval, uplift against control and probability of being best, per offer and variant.',
  shape: 'list',
  query: recoQuery({
    segment: SegmentIdParam,
    limit: Limit,
  }),
  row: RecoOfferRow,
  handler: async (query, ctx) => conservative(upliftOrNull(await getOfferInsights(ctx.warehouse, query))),
})

const segments = releasedRoute({
  path: '/segments',
  summary: 'The segments offers are tuned for',
  description:
    'From the latest insights run: device × country × source × category of interest, coarsened (`*`) until each holds K_ANON visitors.',
  shape: 'list',
  query: recoQuery({ limit: Limit }),
  row: SegmentRow,
  handler: async (query, ctx) => conservative(await getSegments(ctx.warehouse, query)),
})

export const RECO_ROUTES: readonly ReleasedRoute[] = [recommendRoute, affinity, offers, segments]
