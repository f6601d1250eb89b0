/**
 * The lists whose held-back groups the insights job counts (reco_held_back, migration 0040) and
 * the read API adds to `suppressed`: written by aggregator/insights/held-back.ts, read by
 * api/reco-routes.ts.
 */
export const HELD_LISTS = ['segments', 'offers', 'affinity'] as const
export type HeldList = (typeof HELD_LISTS)[number]

/** The scope of the pooled held-back pairs of every product with no written pair. */
export const POOLED_SCOPE = '*'
