import type { SeedReport } from './seed.ts'

type Overview = {
  current: { bounce_rate: number | null; visit_duration: number | null; visits: number | null } | null
}

/**
 * The visit figures the demo knows to be true beside the dashboard's for the same range: bounce
 * rate and visit duration (engaged seconds per visit). The dashboard's are read through the read
 * API, as the dashboard reads them. They differ only by visits that cross midnight at the range's
 * edges and by the visits of the current hour not yet written.
 */
export async function visitTruthSummary(
  url: string,
  token: string,
  range: { from: string; to: string },
  report: SeedReport,
): Promise<string> {
  const { visits, bounces, engagedMs } = report.truth
  const trueBounce = visits > 0 ? bounces / visits : 0
  const trueDuration = visits > 0 ? engagedMs / 1000 / visits : 0
  const answer = await fetch(`${url}/api/stats/overview?site=demo&from=${range.from}&to=${range.to}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const shown = answer.ok ? ((await answer.json()) as Overview).current : null
  const percent = (value: number | null | undefined) =>
    value === null || value === undefined ? 'held back' : `${(value * 100).toFixed(1)} %`
  const secs = (value: number | null | undefined) =>
    value === null || value === undefined ? 'held back' : `${Math.round(value)} s`
  return [
    '  Visits, as sent and as the dashboard shows them:',
    `    visits          true ${visits.toLocaleString('en')}  dashboard ${shown?.visits?.toLocaleString('en') ?? 'held back'}`,
    `    bounce rate     true ${percent(trueBounce)}  dashboard ${percent(shown?.bounce_rate)}`,
    `    visit duration  true ${secs(trueDuration)}  dashboard ${secs(shown?.visit_duration)}`,
  ].join('\n')
}
