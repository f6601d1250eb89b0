import type { Warehouse } from '../../warehouse/client.ts'
import type { StatsQuery } from '../params.ts'
import {
  BY_COUNTRY,
  BY_DEVICE,
  BY_SOURCE,
  DAY_VISITORS,
  DAY_VISITORS_FLOOR,
  IN_RANGE,
  runQuery,
  statsParams,
} from './common.ts'

/** Visits over a range: what the overview's visit figures are made of (docs/engagement.md). */
export type VisitTotals = {
  visits: number
  bounces: number
  pageviews: number
  engaged_ms: number
  visitors: number
  visitors_floor: number
}

// A visit is counted on the day it began (its first pageview); bounces are the +1/-1 column's sum,
// so a visit whose second page came after midnight is a bounce on its first day and takes it back
// on the next: over a range the sum is exact except at its edges.
const SQL = `
SELECT sum(day_visits) AS visits, sum(day_bounces) AS bounces, sum(day_pageviews) AS pageviews,
  sum(day_engaged) AS engaged_ms, sum(day_visitors) AS visitors, sum(day_floor) AS visitors_floor
FROM (
  SELECT day, sumMerge(visits) AS day_visits, sumMerge(bounces) AS day_bounces,
    sumMerge(pageviews) AS day_pageviews, sumMerge(engaged_ms) AS day_engaged,
    ${DAY_VISITORS} AS day_visitors, ${DAY_VISITORS_FLOOR} AS day_floor
  FROM visits_daily
  WHERE ${IN_RANGE} ${BY_SOURCE} ${BY_DEVICE} ${BY_COUNTRY}
  GROUP BY day
)`

/** Visits, bounces, pageviews and engaged time over the range, with its visitors. */
export async function getVisits(warehouse: Warehouse, query: StatsQuery): Promise<VisitTotals> {
  const [row] = await runQuery<VisitTotals>(warehouse, SQL, statsParams(query))
  return {
    visits: Number(row?.visits ?? 0),
    bounces: Math.max(0, Number(row?.bounces ?? 0)),
    pageviews: Number(row?.pageviews ?? 0),
    engaged_ms: Number(row?.engaged_ms ?? 0),
    visitors: Number(row?.visitors ?? 0),
    visitors_floor: Number(row?.visitors_floor ?? 0),
  }
}
