import { getJson } from './api.ts'
import { h } from './dom.ts'
import { fmtInt } from './format.ts'
import {
  arm,
  callOn,
  detailColumns,
  type InsightsAnswer,
  matches,
  segmentLabel,
  summaryColumns,
  summaryRow,
} from './insights-table.ts'
import { type Ctx, guarded, type Panel, shell } from './panel.ts'
import { csvButton, dataTable, type Row, suppressedNote } from './table.ts'

/**
 * Offer performance per segment, as the insights job computed it for the recommendation service:
 * each arm's conversion with its Wilson interval, its probability of being the best, its uplift
 * over the control, and the recommended arm per segment. The job looks at a fixed window, so the
 * date range does not apply; the filters pick the segments that match them.
 */

export function insightsPanel(): Panel {
  const { section, tools, notes, body, footer } = shell({
    id: 'insights',
    title: 'Best offer per segment',
    wide: true,
    description:
      'What the recommendation service reads. Conversion is purchases after clicking the offer over impressions, with a 95% Wilson interval; P(best) is the chance that the variant converts best in its segment.',
  })
  let chosen = ''
  let last: Ctx | undefined
  let answer: InsightsAnswer | undefined

  const render = (ctx: Ctx) => {
    if (!answer) return
    const segments = answer.segments.filter((segment) => matches(segment, ctx) && segment.arms.length > 0)
    // One axis for every whisker: wide enough for nine in ten intervals; the rest run off its end.
    const highs = segments.flatMap((segment) => segment.arms.map((one) => one.ci_high)).sort((a, b) => a - b)
    const scale = Math.min(1, Math.max(0.05, highs[Math.floor(highs.length * 0.9)] ?? 0) * 1.15)
    const summaryRows = segments.map(summaryRow)
    const summary = summaryColumns(scale, answer.prob_best_level)
    // The interval bounds are drawn in one cell on screen and kept as two columns in the CSV.
    const screenSummary = summary.filter((column) => column.key !== 'ci_low' && column.key !== 'ci_high')

    if (!segments.some((segment) => segment.segment === chosen)) chosen = segments[0]?.segment ?? ''
    const current = segments.find((segment) => segment.segment === chosen)
    const detailRows: Row[] = (current?.arms ?? []).map((one) => ({ ...one, arm: arm(one) }))
    const detail = detailColumns(
      scale,
      current?.arms ?? [],
      callOn(current?.arms ?? []),
      answer.prob_best_level,
    )
    const screenDetail = detail.filter((column) => column.key !== 'ci_low' && column.key !== 'ci_high')

    const picker = h(
      'select',
      {
        id: 'insights-segment',
        onchange: (event: Event) => {
          chosen = (event.target as HTMLSelectElement).value
          render(ctx)
        },
      },
      segments.map((segment) =>
        h('option', { value: segment.segment, selected: segment.segment === chosen }, segmentLabel(segment)),
      ),
    )
    tools.replaceChildren(
      csvButton({
        title: 'best offer per segment',
        filename: () => `tally_${ctx.state.site}_offer-segments.csv`,
        columns: () => summary,
        rows: () => summaryRows,
      }),
    )
    const computed = answer.computed_at ? new Date(answer.computed_at) : null
    notes.replaceChildren(
      h(
        'p',
        { class: 'note' },
        computed
          ? `Computed ${computed.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })} over the ${answer.window_days} days before; the date range above does not apply.`
          : 'Not computed yet: the insights job runs every 15 minutes.',
        ctx.state.source || ctx.state.device || ctx.state.country || ctx.state.category
          ? ' Showing the segments that match the filters.'
          : '',
      ),
    )
    body.replaceChildren(
      segments.length
        ? h(
            'div',
            { class: 'insights' },
            h(
              'div',
              { id: 'insights-summary', class: 'insights-summary' },
              dataTable({
                caption: 'Best offer per segment',
                columns: screenSummary,
                rows: summaryRows,
                rowClass: (row) => (row.confident ? 'best' : ''),
              }),
            ),
            h(
              'div',
              { class: 'insights-detail', id: 'insights-detail' },
              h(
                'div',
                { class: 'detail-head' },
                h('label', { for: 'insights-segment', class: 'detail-label' }, 'Variants in segment'),
                picker,
                csvButton({
                  title: 'variants in this segment',
                  filename: () =>
                    `tally_${ctx.state.site}_offers_${chosen.replace(/[^A-Za-z0-9._-]+/g, '-')}.csv`,
                  columns: () => detail,
                  rows: () => detailRows,
                }),
              ),
              dataTable({
                caption: `Variants in ${current ? segmentLabel(current) : ''}`,
                columns: screenDetail,
                rows: detailRows,
                rowClass: (row) => (row.is_best ? 'best' : ''),
              }),
              suppressedNote(current?.suppressed ?? 0, ctx.k) ?? '',
            ),
          )
        : h(
            'p',
            { class: 'empty' },
            answer.segments.length
              ? 'No segment matches these filters.'
              : 'No offer has reached enough visitors for a recommendation yet.',
          ),
    )
    footer.replaceChildren(
      answer.suppressed
        ? h(
            'p',
            { class: 'suppressed', 'data-suppressed': answer.suppressed },
            `${fmtInt(answer.suppressed)} ${answer.suppressed === 1 ? 'segment' : 'segments'} hidden: fewer than ${ctx.k} visitors`,
          )
        : '',
    )
  }

  const load = (ctx: Ctx): Promise<void> =>
    guarded(
      section,
      body,
      ctx,
      async () => {
        last = ctx
        // The snapshot does not depend on the range or the filters: it is read again only for
        // another site, or when it may have been recomputed (the job runs every 15 minutes).
        if (!answer || ctx.state.site !== loadedSite || Date.now() - loadedAt > 5 * 60_000) {
          answer = await getJson<InsightsAnswer>(
            'insights/offers',
            new URLSearchParams({ site: ctx.state.site }),
            ctx.signal,
          )
          loadedSite = ctx.state.site
          loadedAt = Date.now()
        }
        render(ctx)
      },
      () => {
        answer = undefined
        if (last) void load(last)
      },
    )
  let loadedSite = ''
  let loadedAt = 0
  return { element: section, load }
}
