import type { OfferSnapshotRow } from '../queries/getOfferSnapshot.ts'

/**
 * The shape /recommend reads a snapshot in: each offer's variants per segment, and per offer the
 * site-wide total over every segment. Built once per snapshot (see snapshot-cache.ts); Thompson
 * allocations are added lazily, one per (segment or site, offer), for the snapshot's lifetime.
 */

/** The scope of the site-wide totals in `arms`. */
export const SITE_SCOPE = ''

/**
 * One offer variant in one scope (a segment id, or SITE_SCOPE), as the release gate sees it:
 * `visitors` shown, `visitors_floor` tested. `prob_best` is the insights job's (null for the
 * site-wide totals, which no job computed).
 */
export type Candidate = {
  scope: string
  offer_id: string
  variant: string
  is_control: boolean
  impressions: number
  conversions: number
  /** The noise of the two counts above (0 when they are exact). */
  impressions_sd: number
  conversions_sd: number
  prob_best: number | null
  visitors: number
  visitors_floor: number
}

export type SnapshotIndex = {
  computedAt: string | null
  /** Offer ids of the snapshot, sorted. */
  offers: string[]
  /** By `armsKey(scope, offer)`, variants in order. */
  arms: Map<string, Candidate[]>
  /** By the same key: each variant's Thompson share, computed on first use. */
  allocations: Map<string, number[]>
}

export const armsKey = (scope: string, offer: string): string => `${scope}\u0000${offer}`

/**
 * `releasable` is the release gate's test: a row that fails it still appears as its segment's
 * candidate (and is held back there, counted in `suppressed`), but never adds to a site-wide total,
 * so no total can be told apart from the released rows it should be made of.
 */
export function indexSnapshot(
  rows: readonly OfferSnapshotRow[],
  releasable: (group: { visitors: number; visitors_floor: number }) => boolean,
  options: { siteTotals: boolean } = { siteTotals: true },
): SnapshotIndex {
  const arms = new Map<string, Candidate[]>()
  const site = new Map<string, Candidate>()
  const push = (key: string, arm: Candidate) => {
    const list = arms.get(key) ?? []
    list.push(arm)
    arms.set(key, list)
  }
  for (const row of rows) {
    push(armsKey(row.segment, row.offer_id), {
      scope: row.segment,
      offer_id: row.offer_id,
      variant: row.variant,
      is_control: row.is_control,
      impressions: row.impressions,
      conversions: row.conversions,
      impressions_sd: row.impressions_sd,
      conversions_sd: row.conversions_sd,
      prob_best: row.prob_best,
      visitors: row.visitors,
      visitors_floor: row.visitors,
    })
    if (!options.siteTotals || !releasable({ visitors: row.visitors, visitors_floor: row.visitors })) continue
    // Segments pool disjoint sets of cells, so their impressions and conversions add up to the
    // site's over every released cell. One visitor may sit in two cells of a day (two categories),
    // so the visitors' sum is shown as an upper bound and the largest segment is the floor.
    const key = `${row.offer_id}\u0000${row.variant}`
    const total = site.get(key) ?? {
      scope: SITE_SCOPE,
      offer_id: row.offer_id,
      variant: row.variant,
      is_control: row.is_control,
      impressions: 0,
      conversions: 0,
      impressions_sd: 0,
      conversions_sd: 0,
      prob_best: null,
      visitors: 0,
      visitors_floor: 0,
    }
    total.impressions += row.impressions
    total.conversions += row.conversions
    total.visitors += row.visitors
    total.visitors_floor = Math.max(total.visitors_floor, row.visitors)
    site.set(key, total)
  }
  const totals = [...site.values()].sort(
    (x, y) => compare(x.offer_id, y.offer_id) || compare(x.variant, y.variant),
  )
  for (const total of totals) push(armsKey(SITE_SCOPE, total.offer_id), total)
  return {
    computedAt: rows[0]?.computed_at ?? null,
    offers: [...new Set(rows.map((row) => row.offer_id))].sort(compare),
    arms,
    allocations: new Map(),
  }
}

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
