import type { SegmentDevice, SegmentSource } from '../../schemas/constants.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { isoTime, LATEST_SNAPSHOT, perRelease, runQuery, sdOf } from './common.ts'

/** One offer variant of one segment in the latest insights snapshot. */
export type OfferSnapshotRow = {
  segment: string
  device: SegmentDevice
  country: string
  source: SegmentSource
  category: string
  offer_id: string
  variant: string
  is_control: boolean
  impressions: number
  conversions: number
  visitors: number
  prob_best: number
  /** The noise of `impressions` and `conversions` (0 in a k-threshold snapshot). */
  impressions_sd: number
  conversions_sd: number
  computed_at: string
}

const SQL = perRelease(
  'offers',
  (table, sd) => `
SELECT segment, device, country, source, category, offer_id, variant, is_control, impressions,
  conversions, visitors, prob_best, ${sd('impressions_sd')} AS impressions_sd,
  ${sd('conversions_sd')} AS conversions_sd, toString(computed_at) AS computed_text
FROM ${table} FINAL
WHERE site = {site:String} AND computed_at = (${LATEST_SNAPSHOT(table)})
ORDER BY segment, offer_id, variant`,
)

type Stored = Omit<OfferSnapshotRow, 'is_control' | 'computed_at'> & {
  is_control: number
  computed_text: string
}

/** Every offer variant of every segment of the site's latest insights run: what /recommend caches. */
export async function getOfferSnapshot(
  warehouse: Warehouse,
  query: { site: string; release: Release },
): Promise<OfferSnapshotRow[]> {
  const rows = await runQuery<Stored>(warehouse, SQL[query.release], { site: query.site })
  return rows.map((row) => ({
    segment: row.segment,
    device: row.device,
    country: row.country,
    source: row.source,
    category: row.category,
    offer_id: row.offer_id,
    variant: row.variant,
    is_control: Number(row.is_control) === 1,
    impressions: Number(row.impressions),
    conversions: Number(row.conversions),
    visitors: Number(row.visitors),
    prob_best: Number(row.prob_best),
    impressions_sd: sdOf(row.impressions_sd),
    conversions_sd: sdOf(row.conversions_sd),
    computed_at: isoTime(row.computed_text),
  }))
}
