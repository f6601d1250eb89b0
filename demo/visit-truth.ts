import type { SeedReport } from './seed.ts'

type Overview = {
  current: {
    bounce_rate: number | null
    visit_duration: number | null
    visits: number | null
    visitors: number | null
    sd?: Partial<Record<string, number>>
  } | null
}

/**
 * The visit figures the demo knows to be true beside the dashboard's for the same range: bounce
 * rate and visit duration (engaged seconds per visit). The dashboard's are read through the read
 * API, as the dashboard reads them. They differ only by visits that cross midnight at the range's
 * edges and by the visits of the current hour not yet written. Visitors are compared over the
 * closed days (today's are released when the day closes), with the noise the answer states.
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
  const read = async (to: string) => {
    const answer = await fetch(`${url}/api/stats/overview?site=demo&from=${range.from}&to=${to}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return answer.ok ? ((await answer.json()) as Overview).current : null
  }
  const shown = await read(range.to)
  const yesterday = new Date(Date.parse(`${range.to}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  const closed = range.from <= yesterday ? await read(yesterday) : null
  const trueVisitors = [...report.truth.visitorsByDay]
    .filter(([day]) => day >= range.from && day <= yesterday)
    .reduce((sum, [, count]) => sum + count, 0)
  const margin = closed?.sd?.visitors ? ` ±${Math.round(1.96 * closed.sd.visitors)}` : ''
  const percent = (value: number | null | undefined) =>
    value === null || value === undefined ? 'held back' : `${(value * 100).toFixed(1)} %`
  const secs = (value: number | null | undefined) =>
    value === null || value === undefined ? 'held back' : `${Math.round(value)} s`
  return [
    '  Visitors and visits, as sent and as the dashboard shows them:',
    `    visitors        true ${trueVisitors.toLocaleString('en')}  dashboard ${closed?.visitors?.toLocaleString('en') ?? 'held back'}${margin}  (closed days: sum of daily unique visitors)`,
    `    visits          true ${visits.toLocaleString('en')}  dashboard ${shown?.visits?.toLocaleString('en') ?? 'held back'}`,
    `    bounce rate     true ${percent(trueBounce)}  dashboard ${percent(shown?.bounce_rate)}`,
    `    visit duration  true ${secs(trueDuration)}  dashboard ${secs(shown?.visit_duration)}`,
  ].join('\n')
}
