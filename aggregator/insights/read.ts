import type { Warehouse } from '../../warehouse/client.ts'
import { select } from '../sql.ts'
import type { Transition } from './lift.ts'
import type { ArmDay } from './offers.ts'
import type { Cell, DailyCount, Dims } from './segments.ts'

/**
 * The insights job's reads. Each starts from the rollup at its own grain, where a row's visitors
 * are exact (its finalized count plus its sketch, since a row is one group of one day), and
 * pools rows upwards by the rule in segments.ts: sketches of recent days are merged, which
 * counts each visitor once; finalized counts are pooled by their largest value within a
 * (device, country) and then added up across them.
 */

const OFFER_GRAIN = `SELECT site, day, offer_id, variant, type, device, country, source, category,
    sumMerge(events) AS event_count, sumMerge(revenue) AS revenue_sum,
    sumMerge(visitors_final) AS final_count, uniqCombinedMergeState(visitors) AS sketch
  FROM offers_daily
  WHERE day >= {from:Date} AND day <= {to:Date}
  GROUP BY site, day, offer_id, variant, type, device, country, source, category`

const CELL_DAYS = `SELECT site, device, country, source, category, toString(day) AS day,
    max(final_count) + uniqCombinedMerge(sketch) AS visitors
  FROM (${OFFER_GRAIN})
  GROUP BY site, device, country, source, category, day`

const ARM_DAYS = `SELECT site, device, country, source, category, offer_id, variant, toString(day) AS day,
    sumIf(event_count, type = 'offer_impression') AS impressions,
    sumIf(event_count, type = 'offer_click') AS clicks,
    sumIf(event_count, type = 'purchase') AS conversions,
    sumIf(revenue_sum, type = 'purchase') AS revenue,
    max(final_count) + uniqCombinedMerge(sketch) AS visitors
  FROM (${OFFER_GRAIN})
  GROUP BY site, device, country, source, category, offer_id, variant, day`

// Pairs per (day, device, country) first, where finalized counts may only be pooled by their
// largest; then summed across days and (device, country), which no visitor spans.
const TRANSITIONS = `SELECT site, from_product, to_product, argMax(to_category, pair_count) AS to_category,
    sum(pair_count) AS transitions, sum(pair_visitors) AS visitors
  FROM (
    SELECT site, from_product, to_product, day, device, country,
      argMax(to_category, row_count) AS to_category, sum(row_count) AS pair_count,
      max(final_count) + uniqCombinedMerge(sketch) AS pair_visitors
    FROM (
      SELECT site, day, from_product, from_category, to_product, to_category, source, device, country,
        sumMerge(transitions) AS row_count, sumMerge(visitors_final) AS final_count,
        uniqCombinedMergeState(visitors) AS sketch
      FROM transitions_daily
      WHERE day >= {from:Date} AND day <= {to:Date}
      GROUP BY site, day, from_product, from_category, to_product, to_category, source, device, country
    )
    GROUP BY site, from_product, to_product, day, device, country
  )
  GROUP BY site, from_product, to_product
  ORDER BY site, from_product, to_product`

export type Window = { from: string; to: string }

type DimsRow = Dims & { site: string; day: string; visitors: number }

const dimsOf = (row: Dims): Dims => ({
  device: row.device,
  country: row.country,
  source: row.source,
  category: row.category,
})

export async function readCells(warehouse: Warehouse, window: Window): Promise<Cell[]> {
  const rows = await select<DimsRow>(warehouse, CELL_DAYS, window)
  const cells = new Map<string, Cell & { days: DailyCount[] }>()
  for (const row of rows) {
    const dims = dimsOf(row)
    const key = JSON.stringify([row.site, dims.device, dims.country, dims.source, dims.category])
    const cell = cells.get(key) ?? { site: row.site, dims, days: [] }
    cell.days.push({
      day: row.day,
      device: dims.device,
      country: dims.country,
      visitors: Number(row.visitors),
    })
    cells.set(key, cell)
  }
  return [...cells.values()]
}

type ArmRow = DimsRow & {
  offer_id: string
  variant: string
  impressions: number
  clicks: number
  conversions: number
  revenue: number
}

export async function readArmDays(warehouse: Warehouse, window: Window): Promise<ArmDay[]> {
  const rows = await select<ArmRow>(warehouse, ARM_DAYS, window)
  return rows.map((row) => ({
    site: row.site,
    dims: dimsOf(row),
    offerId: row.offer_id,
    variant: row.variant,
    day: row.day,
    impressions: Number(row.impressions),
    clicks: Number(row.clicks),
    conversions: Number(row.conversions),
    revenue: Number(row.revenue),
    visitors: Number(row.visitors),
  }))
}

type TransitionRow = {
  site: string
  from_product: string
  to_product: string
  to_category: string
  transitions: number
  visitors: number
}

export async function readTransitions(warehouse: Warehouse, window: Window): Promise<Transition[]> {
  const rows = await select<TransitionRow>(warehouse, TRANSITIONS, window)
  return rows.map((row) => ({
    site: row.site,
    from: row.from_product,
    to: row.to_product,
    toCategory: row.to_category,
    transitions: Number(row.transitions),
    visitors: Number(row.visitors),
  }))
}
