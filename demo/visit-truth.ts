import type { DayTruth, SeedReport } from './seed.ts'

type Card =
  | 'visitors'
  | 'pageviews'
  | 'visits'
  | 'views_per_visit'
  | 'bounce_rate'
  | 'visit_duration'
  | 'conversion_rate'
  | 'revenue'

type Overview = {
  current: (Partial<Record<Card, number | null>> & { sd?: Partial<Record<string, number>> }) | null
}

/**
 * The overview's cards as the demo knows them to be true beside the dashboard's, over the closed
 * days of the range (today's visitors and revenue are released when the day closes), each with
 * the 95 % margin of its noise as the answer states it. The dashboard's are read through the read
 * API, as the dashboard reads them. Visit figures differ besides by visits that cross midnight at
 * the range's edges; figures past a visitor-day's contribution bound are not in the dashboard's.
 */
export async function visitTruthSummary(
  url: string,
  token: string,
  range: { from: string; to: string },
  report: SeedReport,
): Promise<string> {
  const yesterday = new Date(Date.parse(`${range.to}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  if (range.from > yesterday) return "  The overview's cards: no closed day yet."
  const answer = await fetch(`${url}/api/stats/overview?site=demo&from=${range.from}&to=${yesterday}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const shown = answer.ok ? ((await answer.json()) as Overview).current : null
  const days = [...report.truth.cardsByDay].filter(([day]) => day >= range.from && day <= yesterday)
  const sum = (field: keyof DayTruth) => days.reduce((total, [, day]) => total + day[field], 0)
  const visitors = [...report.truth.visitorsByDay]
    .filter(([day]) => day >= range.from && day <= yesterday)
    .reduce((total, [, count]) => total + count, 0)
  const visits = sum('visits')
  const per = (top: number, bottom: number) => (bottom > 0 ? top / bottom : 0)
  const truth: Record<Card, number> = {
    visitors,
    pageviews: sum('pageviews'),
    visits,
    views_per_visit: per(sum('pageviews'), visits),
    bounce_rate: per(sum('bounces'), visits),
    visit_duration: per(sum('engagedMs') / 1000, visits),
    conversion_rate: per(sum('buyers'), visitors),
    revenue: sum('revenue'),
  }
  const format = (card: Card, value: number) =>
    card === 'bounce_rate' || card === 'conversion_rate'
      ? `${(value * 100).toFixed(1)} %`
      : card === 'visit_duration'
        ? `${Math.round(value)} s`
        : card === 'views_per_visit'
          ? value.toFixed(2)
          : Math.round(value).toLocaleString('en')
  const lines = (Object.keys(truth) as Card[]).map((card) => {
    const value = shown?.[card]
    const sd = shown?.sd?.[card]
    const margin = sd ? ` ±${format(card, 1.96 * sd)}` : ''
    const off =
      value === null || value === undefined || truth[card] === 0
        ? ''
        : `  (${(((value - truth[card]) / truth[card]) * 100).toFixed(1)} %)`
    const dashboard =
      value === null || value === undefined ? 'held back' : `${format(card, value)}${margin}${off}`
    return `    ${card.replaceAll('_', ' ').padEnd(16)}true ${format(card, truth[card]).padEnd(10)} dashboard ${dashboard}`
  })
  return [
    `  The overview's cards over the closed days (${range.from} to ${yesterday}), as sent and as the dashboard shows them:`,
    ...lines,
  ].join('\n')
}
