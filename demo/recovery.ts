import type { Decision } from '../api/recommend/decision.ts'
import { type SeedReport, trueBestFor } from './seed.ts'

/**
 * Checks the insights against the demo's truth: for each segment the recommendation service (and
 * the dashboard) reads, is the best variant the one that truly converts best there?
 */

type Segment = { segment: string; device: string; country: string; source: string; category: string }
export type Arm = Segment & {
  offer_id: string
  variant: string
  is_best: boolean
  prob_best: number
  impressions: number
  /** The API's decision on the arm's offer in the segment (RECOMMEND_PROB_BEST applied). */
  decision: Decision
}
export type Judged = { best: Arm; verdict: Decision }
export type Scored = Judged & { truth: string; right: boolean }

/** The insights as the recommendation service reads them: every segment, its best arm and the call. */
export async function readInsights(url: string, site: string, token: string): Promise<Judged[] | undefined> {
  const get = async <T>(path: string) => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return response.ok ? ((await response.json()) as { rows: T[] }).rows : undefined
  }
  const segments = await get<Segment>(`/api/v1/segments?${new URLSearchParams({ site, limit: '1000' })}`)
  if (!segments?.length) return undefined
  const judged: Judged[] = []
  for (const segment of segments) {
    const query = new URLSearchParams({ site, segment: segment.segment, limit: '100' })
    const arms = (await get<Arm>(`/api/v1/offers?${query}`)) ?? []
    const best = arms.find((arm) => arm.is_best)
    if (best) judged.push({ best, verdict: best.decision })
  }
  return judged
}

/**
 * Each segment's best arm against the truth over the insights job's window: 30 days to `now`, or
 * the window given (with DP on, last month and this one: aggregator/jobs/insights.ts).
 */
export function score(
  judged: Judged[],
  report: SeedReport,
  now = new Date(),
  window?: { from: string; to: string },
): Scored[] {
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10)
  const range = window ?? { from: day(-29), to: day(0) }
  return judged.map((one) => {
    const truth = trueBestFor(one.best, report, range)
    return { ...one, truth, right: one.best.variant === truth }
  })
}

/** How many of the dashboard's recommendations are the true best variants. */
export function recoverySummary(judged: Judged[], report: SeedReport): string {
  const scored = score(judged, report)
  const called = scored.filter((one) => one.verdict === 'recommended')
  const leading = scored.filter((one) => one.verdict === 'leading')
  const count = (list: Scored[]) => `${list.filter((one) => one.right).length} of ${list.length}`
  return [
    `Offer insights for ${judged.length} segments:`,
    `  recommended (RECOMMEND_PROB_BEST): the true best variant in ${count(called)}`,
    `  leading, not yet clear:      the true best in ${count(leading)}`,
    `  ${scored.length - called.length - leading.length} segments have one variant with enough visitors: no comparison yet`,
  ].join('\n')
}
