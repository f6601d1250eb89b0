import { addDays, daysBetween, utcDate } from '../state.ts'
import { getRows, type Released } from './api.ts'
import { type ChartPoint, lineChart } from './chart.ts'
import { h } from './dom.ts'
import { fmtDay, fmtHour } from './format.ts'
import { type Ctx, guarded, type Panel, shell, toggles, unappliedNote } from './panel.ts'
import { type Column, csvButton, dataTable, type Row, suppressedNote } from './table.ts'
import { csvFileName, viewQuery } from './view-query.ts'

// Differentially private answers release visitors and revenue per closed day: null before.
type SeriesRow = {
  time: string
  pageviews: number
  events: number
  revenue: number | null
  visitors: number | null
}

/** Traffic over time: a chart (or its table) per hour or per day of the range. */
export function trafficChart(onData: (released: Released<SeriesRow>, ctx: Ctx) => void): Panel {
  const { section, tools, notes, body, footer } = shell({
    id: 'traffic',
    title: 'Traffic over time',
    wide: true,
  })
  let shown: { columns: Column[]; rows: Row[] } = { columns: [], rows: [] }
  let asTable = false
  let last: Ctx | undefined
  const load = (ctx: Ctx): Promise<void> =>
    guarded(
      section,
      body,
      ctx,
      async () => {
        last = ctx
        const hourly = daysBetween(ctx.state.from, ctx.state.to) <= 2
        const released = await getRows<SeriesRow>(
          'timeseries',
          viewQuery(ctx, 'timeseries', { interval: hourly ? 'hour' : 'day' }),
          ctx.signal,
        )
        onData(released, ctx)
        const byTime = new Map(released.rows.map((row) => [row.time, row]))
        // Every bucket of the range, so that a quiet day reads as zero rather than as a missing point.
        const buckets: string[] = []
        const start = chartStart(ctx, hourly, released.rows)
        for (let day = start; day <= ctx.state.to; day = addDays(day, 1)) {
          if (!hourly) buckets.push(day)
          else
            for (let hour = 0; hour < 24; hour++)
              buckets.push(`${day}T${String(hour).padStart(2, '0')}:00:00Z`)
        }
        const rows = buckets.map(
          (time) => byTime.get(time) ?? { time, pageviews: 0, events: 0, revenue: 0, visitors: 0 },
        )
        const second = hourly ? { key: 'events', label: 'Events' } : { key: 'visitors', label: 'Visitors' }
        const points: ChartPoint[] = rows.map((row) => ({
          label: hourly
            ? row.time.endsWith('T00:00:00Z')
              ? fmtDay(row.time)
              : fmtHour(row.time.replace('T', ' '))
            : fmtDay(row.time),
          long: hourly
            ? `${fmtDay(row.time)} ${fmtHour(row.time.replace('T', ' '))} UTC`
            : fmtDay(row.time, { weekday: 'short', month: 'short', day: 'numeric' }),
          values: { pageviews: row.pageviews, [second.key]: row[second.key as 'events' | 'visitors'] ?? 0 },
        }))
        shown = {
          columns: [
            { key: 'time', label: hourly ? 'Hour (UTC)' : 'Day (UTC)', kind: 'text' },
            { key: 'pageviews', label: 'Pageviews', kind: 'int' },
            { key: 'visitors', label: hourly ? 'Visitors (upper bound)' : 'Visitors', kind: 'int' },
            { key: 'events', label: 'Events', kind: 'int' },
            { key: 'revenue', label: 'Revenue', kind: 'money' },
          ],
          rows,
        }
        const draw = () => {
          body.replaceChildren(
            asTable
              ? dataTable({ caption: 'Traffic over time', columns: shown.columns, rows: shown.rows })
              : lineChart({
                  title: `Pageviews and ${second.label.toLowerCase()} per ${hourly ? 'hour' : 'day'}`,
                  series: [
                    { key: 'pageviews', label: 'Pageviews', className: 's1' },
                    { key: second.key, label: second.label, className: 's2' },
                  ],
                  points,
                }),
          )
        }
        tools.replaceChildren(
          toggles(
            'Show as',
            [
              { id: 'chart', label: 'Chart' },
              { id: 'table', label: 'Table' },
            ],
            () => (asTable ? 'table' : 'chart'),
            (id) => {
              asTable = id === 'table'
              draw()
            },
          ),
          csvButton({
            title: 'traffic over time',
            filename: () => csvFileName(ctx, 'traffic'),
            columns: () => shown.columns,
            rows: () => shown.rows,
          }),
        )
        draw()
        notes.replaceChildren(
          start > ctx.state.from
            ? h(
                'p',
                { class: 'note', id: 'chart-start' },
                `No data before ${fmtDay(start)}: the chart starts on the first day with data.`,
              )
            : '',
          unappliedNote(ctx, 'timeseries') ?? '',
        )
        // Days before yesterday keep plain counts per stored group, not sketches (see the README):
        // one person in two groups of such a day counts twice, so their visitors are upper bounds.
        const dp = released.release === 'differential-privacy'
        const finalized = !dp && ctx.state.from < addDays(utcDate(new Date()), -1)
        footer.replaceChildren(
          suppressedNote(released.suppressed, ctx.k, released.release) ?? '',
          dp
            ? h(
                'p',
                { class: 'note' },
                'Visitors and revenue are released per closed UTC day; today shows its closed hours.',
              )
            : '',
          finalized && !hourly
            ? h(
                'p',
                { class: 'note' },
                'Visitors of days before yesterday are upper bounds: each such day keeps a count per stored group rather than a sketch, so a visitor seen in two groups (two sources, say) counts in both.',
              )
            : '',
        )
      },
      () => last && void load(last),
    )
  return { element: section, load }
}

/**
 * The first day the chart shows. A preset range (the default 30 days, say) that reaches back
 * before the site's first released day starts on that day, as Plausible's graph does from a
 * site's first stats: a new site does not open on a month of zeros. A range picked by hand is
 * shown whole, and an hourly chart (one or two days) always is.
 */
export function chartStart(
  ctx: Pick<Ctx, 'state'>,
  hourly: boolean,
  rows: readonly { time: string }[],
): string {
  if (hourly || ctx.state.range === 'custom' || rows.length === 0) return ctx.state.from
  // Dates as text sort as dates.
  const first = rows.map((row) => row.time).sort()[0] ?? ctx.state.from
  return first > ctx.state.from ? first.slice(0, 10) : ctx.state.from
}
