import type { SegmentDevice, SegmentSource } from '../../schemas/constants.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { isoTime, LATEST_SNAPSHOT, money, perRelease, runQuery, sdOf } from './common.ts'

export type OfferInsightRow = {
  segment: string
  device: SegmentDevice
  country: string
  source: SegmentSource
  category: string
  offer_id: string
  variant: string
  is_control: boolean
  impressions: number
  clicks: number
  conversions: number
  revenue: number
  visitors: number
  conversion_rate: number
  ci_low: number
  ci_high: number
  uplift: number
  prob_best: number
  is_best: boolean
  /** The noise of `impressions` and `conversions` (0 in a k-threshold snapshot). */
  impressions_sd: number
  conversions_sd: number
  computed_at: string
}

// A released snapshot has no clicks or revenue (not released): read as 0, answered as null.
const SQL = perRelease(
  'offers',
  (table, sd) => `
SELECT segment, device, country, source, category, offer_id, variant, is_control,
  impressions, ${table === 'reco_offers' ? 'clicks' : '0'} AS clicks, conversions,
  ${table === 'reco_offers' ? 'revenue' : '0'} AS revenue, visitors, conversion_rate, ci_low, ci_high, uplift,
  prob_best, is_best, ${sd('impressions_sd')} AS impressions_sd, ${sd('conversions_sd')} AS conversions_sd,
  toString(computed_at) AS computed_text
FROM ${table} FINAL
WHERE site = {site:String} AND segment = {segment:String}
  AND computed_at = (${LATEST_SNAPSHOT(table)})
ORDER BY is_best DESC, prob_best DESC, offer_id, variant`,
)

type Stored = Omit<OfferInsightRow, 'is_control' | 'is_best' | 'computed_at'> & {
  is_control: number
  is_best: number
  computed_text: string
}

/** Offer performance in one segment, best first, from the latest insights run. */
export async function getOfferInsights(
  warehouse: Warehouse,
  query: { site: string; segment: string; release: Release },
): Promise<OfferInsightRow[]> {
  const rows = await runQuery<Stored>(warehouse, SQL[query.release], {
    site: query.site,
    segment: query.segment,
  })
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
    clicks: Number(row.clicks),
    conversions: Number(row.conversions),
    // A sum of prices in floating point: cents, not 1161.6000000000001.
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    conversion_rate: Number(row.conversion_rate),
    ci_low: Number(row.ci_low),
    ci_high: Number(row.ci_high),
    uplift: Number(row.uplift),
    prob_best: Number(row.prob_best),
    is_best: Number(row.is_best) === 1,
    impressions_sd: sdOf(row.impressions_sd),
    conversions_sd: sdOf(row.conversions_sd),
    computed_at: isoTime(row.computed_text),
  }))
}
