import { DEFAULT_INSIGHTS_WINDOW_DAYS } from '../../schemas/constants.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { alterTarget } from '../../warehouse/cluster-tables.ts'
import { type HeldBack, heldBack } from '../insights/held-back.ts'
import { rankAffinities } from '../insights/lift.ts'
import { heldBackArms, offerInsights } from '../insights/offers.ts'
import { readArmDays, readCells, readTransitions } from '../insights/read.ts'
import { coarsen } from '../insights/segments.ts'
import { dayOffset, requireQueryParameters, run, select, utcSeconds } from '../sql.ts'

/**
 * insights, every 15 minutes, at start, and on demand (`computeInsights` is what an admin
 * endpoint calls): offer performance per segment and product affinity over the last
 * `windowDays` days, written as one snapshot to the `reco_*` tables (schemas/migrations/0008).
 * Every row written has at least `kAnon` visitors, so the tables can be read directly. How many
 * groups each list held back is written with it, as counts only (reco_held_back, 0040).
 *
 * Several instances may run it at once: each writes a snapshot stamped with its own clock, the
 * newest wins for readers, and older snapshots are deleted after each write. A run that finds a
 * snapshot as new as its own clock already written does nothing. On a cluster the snapshot is
 * written and read through the Distributed `reco_*` tables (a site's rows on one shard) and the
 * delete runs `ON CLUSTER` on the local ones.
 */

export type InsightsConfig = { kAnon: number; windowDays?: number }

export type InsightsReport = {
  computedAt: string
  window: { from: string; to: string }
  /** True when a snapshot this new already existed, so nothing was written. */
  skipped: boolean
  segments: number
  suppressedCells: number
  /** Offer variants of written segments that were held back. */
  heldVariants: number
  /** Product pairs held back. */
  heldPairs: number
  offers: number
  affinities: number
}

/** The snapshot tables; only these names are written into statements below. */
const RECO_TABLES = ['reco_affinity', 'reco_offers', 'reco_segments', 'reco_held_back'] as const

const NEWER_SNAPSHOTS = RECO_TABLES.map(
  (table) => `SELECT count() AS n FROM ${table} WHERE computed_at >= toDateTime({at:String}, 'UTC')`,
).join(' UNION ALL ')

const OLDER_ROWS = (table: string) =>
  `SELECT count() AS n FROM ${table} WHERE computed_at < toDateTime({at:String}, 'UTC')`

const DELETE_OLDER = (target: string) =>
  `ALTER TABLE ${target} DELETE WHERE computed_at < toDateTime({at:String}, 'UTC') SETTINGS mutations_sync = 2`

export async function computeInsights(
  warehouse: Warehouse,
  now: Date,
  config: InsightsConfig,
): Promise<InsightsReport> {
  const at = utcSeconds(now)
  const windowDays = config.windowDays ?? DEFAULT_INSIGHTS_WINDOW_DAYS
  const window = { from: dayOffset(now, -(windowDays - 1)), to: dayOffset(now, 0) }
  const report = {
    computedAt: at,
    window,
    skipped: false,
    segments: 0,
    suppressedCells: 0,
    heldVariants: 0,
    heldPairs: 0,
    offers: 0,
    affinities: 0,
  }

  await requireQueryParameters(warehouse)
  const newer = await select<{ n: number }>(warehouse, NEWER_SNAPSHOTS, { at })
  if (newer.some((row) => Number(row.n) > 0)) return { ...report, skipped: true }

  const cells = await readCells(warehouse, window)
  const coarsening = coarsen(cells, config.kAnon)
  const armDays = await readArmDays(warehouse, window)
  const offers = offerInsights(armDays, coarsening, config.kAnon)
  const transitions = await readTransitions(warehouse, window)
  const affinities = rankAffinities(transitions, config.kAnon)
  const held = heldBack({
    sites: [...cells, ...transitions].map((group) => group.site),
    coarsening,
    heldArms: heldBackArms(armDays, coarsening, config.kAnon),
    transitions,
    kAnon: config.kAnon,
  })

  await insert(
    warehouse,
    'reco_segments',
    coarsening.segments.map((segment) => ({
      site: segment.site,
      segment: segment.id,
      ...segment.dims,
      visitors: segment.visitors,
      computed_at: at,
    })),
  )
  await insert(
    warehouse,
    'reco_offers',
    offers.map((offer) => ({
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
      computed_at: at,
    })),
  )
  await insert(
    warehouse,
    'reco_affinity',
    affinities.map((affinity) => ({
      site: affinity.site,
      product_id: affinity.from,
      next_product_id: affinity.to,
      next_category: affinity.toCategory,
      rank: affinity.rank,
      transitions: affinity.transitions,
      visitors: affinity.visitors,
      lift: affinity.lift,
      computed_at: at,
    })),
  )
  // Last: a reader that finds this snapshot's counts finds its rows written too.
  await insert(
    warehouse,
    'reco_held_back',
    held.map((row) => ({ ...row, computed_at: at })),
  )
  // The new snapshot is complete before an old one goes, so a reader always finds one.
  for (const table of RECO_TABLES) {
    const [older] = await select<{ n: number }>(warehouse, OLDER_ROWS(table), { at })
    if (Number(older?.n ?? 0) > 0) await run(warehouse, DELETE_OLDER(alterTarget(warehouse, table)), { at })
  }
  return {
    ...report,
    segments: coarsening.segments.length,
    suppressedCells: coarsening.suppressedCells,
    heldVariants: sumHeld(held, 'offers'),
    heldPairs: sumHeld(held, 'affinity'),
    offers: offers.length,
    affinities: affinities.length,
  }
}

const sumHeld = (rows: readonly HeldBack[], list: HeldBack['list']) =>
  rows.reduce((sum, row) => sum + (row.list === list ? row.held : 0), 0)

async function insert(
  warehouse: Warehouse,
  table: (typeof RECO_TABLES)[number],
  values: Record<string, unknown>[],
): Promise<void> {
  if (values.length === 0) return
  await warehouse.client.insert({ table, values, format: 'JSONEachRow' })
}
