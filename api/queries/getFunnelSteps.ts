import { FUNNEL_STEPS, type FunnelStep } from '../../schemas/constants.ts'
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
  money,
  readsTotals,
  runQuery,
  statsParams,
  TOTALS_BY_DAY,
} from './common.ts'

export { FUNNEL_STEPS, type FunnelStep }

export type FunnelStepRow = {
  step: FunnelStep
  events: number
  revenue: number
  visitors: number
  visitors_floor: number
}

// With a filter (or to compare): the rows of `funnel_daily` that match.
const FILTERED = `
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

// Without one: sketches from `funnel_totals_daily` (one per day and step), finalized counts from
// `funnel_daily` for the days the totals mark finalized, combined as DAY_VISITORS and
// DAY_VISITORS_FLOOR do; see getTrafficByType.ts, which reads the traffic totals the same way.
const UNFILTERED = `
SELECT step, sum(day_events) AS events, sum(day_revenue) AS revenue, sum(day_visitors) AS visitors,
  sum(day_floor) AS visitors_floor
FROM (${TOTALS_BY_DAY.funnel}
)
GROUP BY step`

/** The table a query is answered from: the totals know no category, source, device or country. */
export const funnelTable = (query: StatsQuery): 'funnel_daily' | 'funnel_totals_daily' =>
  query.source || query.device || query.country || query.category ? 'funnel_daily' : 'funnel_totals_daily'

/**
 * Events, revenue and visitors of each funnel step that has any, in funnel order. `from` is for
 * the tests that compare both tables; by default the query's filters choose.
 */
export async function getFunnelSteps(
  warehouse: Warehouse,
  query: StatsQuery,
  from = funnelTable(query),
): Promise<FunnelStepRow[]> {
  const sql = readsTotals(from, funnelTable(query), 'funnel_totals_daily') ? UNFILTERED : FILTERED
  const rows = await runQuery<FunnelStepRow>(warehouse, sql, statsParams(query))
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
