import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_CATEGORY,
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  MAX_GROUPS,
  money,
  runQuery,
  statsParams,
} from './common.ts'

export type OfferRow = {
  offer_id: string
  variant: string
  impressions: number
  clicks: number
  carts: number
  checkouts: number
  purchases: number
  revenue: number
  visitors: number
  visitors_floor: number
}

// `offers_daily` keeps the event type in its grain, and finalized visitor counts exist per type,
// so adding them up over types would count a visitor who saw, clicked and bought three times.
// A variant's visitors on a day are therefore those of its largest type (normally impressions).
// Within a type, a finalized day still adds up the counts of its devices, countries, sources and
// categories, so the threshold uses `visitors_floor`: per day, the largest of the types' lower
// bounds (DAY_VISITORS_FLOOR).
const SQL = `
SELECT offer_id, variant,
  sum(day_impressions) AS impressions, sum(day_clicks) AS clicks, sum(day_carts) AS carts,
  sum(day_checkouts) AS checkouts, sum(day_purchases) AS purchases, sum(day_revenue) AS revenue,
  sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT offer_id, variant, day,
    sumIf(type_events, type = 'offer_impression') AS day_impressions,
    sumIf(type_events, type = 'offer_click') AS day_clicks,
    sumIf(type_events, type = 'add_to_cart') AS day_carts,
    sumIf(type_events, type = 'checkout') AS day_checkouts,
    sumIf(type_events, type = 'purchase') AS day_purchases,
    sumIf(type_revenue, type = 'purchase') AS day_revenue,
    max(type_visitors) AS day_visitors, max(type_floor) AS day_floor
  FROM (
    SELECT offer_id, variant, day, type, sumMerge(events) AS type_events, sumMerge(revenue) AS type_revenue,
      ${DAY_VISITORS} AS type_visitors, ${DAY_VISITORS_FLOOR} AS type_floor
    FROM offers_daily
    WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY} ${BY_CATEGORY}
    GROUP BY offer_id, variant, day, type
  )
  GROUP BY offer_id, variant, day
)
GROUP BY offer_id, variant
ORDER BY impressions DESC, visitors DESC, offer_id, variant
LIMIT ${MAX_GROUPS}`

/** Impressions, clicks and what followed them, per offer and variant. */
export async function getOffers(warehouse: Warehouse, query: StatsQuery): Promise<OfferRow[]> {
  const rows = await runQuery<OfferRow>(warehouse, SQL, statsParams(query))
  return rows.map((row) => ({
    offer_id: row.offer_id,
    variant: row.variant,
    impressions: Number(row.impressions),
    clicks: Number(row.clicks),
    carts: Number(row.carts),
    checkouts: Number(row.checkouts),
    purchases: Number(row.purchases),
    revenue: money(row.revenue),
    visitors: Number(row.visitors),
    visitors_floor: Number(row.visitors_floor),
  }))
}
