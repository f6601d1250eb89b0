import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../api/params.ts'
import {
  BY_CATEGORY,
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  money,
  runQuery,
  statsParams,
} from './common.ts'

/** The purchase funnel, in order. */
export const FUNNEL_STEPS = ['product_view', 'add_to_cart', 'checkout', 'purchase'] as const
export type FunnelStep = (typeof FUNNEL_STEPS)[number]

export type FunnelStepRow = {
  step: FunnelStep
  events: number
  revenue: number
  visitors: number
  visitors_floor: number
}

const SQL = `
SELECT step, sum(day_events) AS events, sum(day_revenue) AS revenue, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (
  SELECT step, day, sumMerge(events) AS day_events, sumMerge(revenue) AS day_revenue,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM funnel_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY} ${BY_CATEGORY}
  GROUP BY step, day
)
GROUP BY step`

/** Events, revenue and visitors of each funnel step that has any, in funnel order. */
export async function getFunnelSteps(warehouse: Warehouse, query: StatsQuery): Promise<FunnelStepRow[]> {
  const rows = await runQuery<FunnelStepRow>(warehouse, SQL, statsParams(query))
  const byStep = new Map(rows.map((row) => [row.step, row]))
  return FUNNEL_STEPS.flatMap((step) => {
    const row = byStep.get(step)
    return row
      ? [
          {
            step,
            events: Number(row.events),
            revenue: money(row.revenue),
            visitors: Number(row.visitors),
            visitors_floor: Number(row.visitors_floor),
          },
        ]
      : []
  })
}
