import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  MAX_GROUPS,
  runQuery,
  statsParams,
} from './common.ts'

/** Per page: views, engaged time and how deep its views were scrolled (docs/engagement.md). */
export type EngagementRow = {
  path: string
  pageviews: number
  /** Mean engaged seconds per view (visible and focused). */
  time_on_page: number
  /** Mean deepest scroll per view, percent. */
  scroll_depth: number
  /** Share of views scrolled to at least 25, 50, 75 and 100 % of the page. */
  reached_25: number
  reached_50: number
  reached_75: number
  reached_100: number
  visitors: number
  visitors_floor: number
}

type Sums = {
  path: string
  pageviews: number
  engaged_ms: number
  scroll_sum: number
  reached_25: number
  reached_50: number
  reached_75: number
  reached_100: number
  visitors: number
  visitors_floor: number
}

const SQL = `
SELECT path, sum(day_pageviews) AS pageviews, sum(day_engaged) AS engaged_ms, sum(day_scroll) AS scroll_sum,
  sum(day_25) AS reached_25, sum(day_50) AS reached_50, sum(day_75) AS reached_75, sum(day_100) AS reached_100,
  sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT path, day, sumMerge(pageviews) AS day_pageviews, sumMerge(engaged_ms) AS day_engaged,
    sumMerge(scroll_sum) AS day_scroll, sumMerge(reached_25) AS day_25, sumMerge(reached_50) AS day_50,
    sumMerge(reached_75) AS day_75, sumMerge(reached_100) AS day_100,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM engagement_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY path, day
)
GROUP BY path
HAVING pageviews > 0
ORDER BY pageviews DESC, visitors DESC, path
LIMIT ${MAX_GROUPS}`

const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 1000 : 0)

/** Engagement per scrubbed path; a share is of the page's views, capped at 1 at a range's edges. */
export async function getEngagement(warehouse: Warehouse, query: StatsQuery): Promise<EngagementRow[]> {
  const rows = await runQuery<Sums>(warehouse, SQL, statsParams(query))
  return rows.map((row) => {
    const views = Number(row.pageviews)
    const reached = (value: number) => Math.min(1, share(Number(value), views))
    return {
      path: row.path,
      pageviews: views,
      time_on_page: views > 0 ? Math.round(Number(row.engaged_ms) / views / 100) / 10 : 0,
      scroll_depth: views > 0 ? Math.min(100, Math.round(Number(row.scroll_sum) / views)) : 0,
      reached_25: reached(row.reached_25),
      reached_50: reached(row.reached_50),
      reached_75: reached(row.reached_75),
      reached_100: reached(row.reached_100),
      visitors: Number(row.visitors),
      visitors_floor: Number(row.visitors_floor),
    }
  })
}
