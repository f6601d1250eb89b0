import type { OfferInsightRow } from '../../api/queries/getOfferInsights.ts'
import { type Verdict, verdict } from '../../api/recommend/decision.ts'
import type { FilterName } from '../state.ts'
import { getJson } from './api.ts'
import { h } from './dom.ts'
import { fmtInt, fmtRate } from './format.ts'
import { type Ctx, guarded, type Panel, shell } from './panel.ts'
import { type Column, csvButton, dataTable, intervalGraphic, type Row, suppressedNote } from './table.ts'

/**
 * Offer performance per segment, as the insights job computed it for the recommendation service:
 * each arm's conversion with its Wilson interval, its probability of being the best, its uplift
 * over the control, and the recommended arm per segment. The job looks at a fixed window, so the
 * date range does not apply; the filters pick the segments that match them.
 */

/** One offer variant in one segment, as the recommendation API answers it. */
export type Arm = OfferInsightRow
export type InsightSegment = {
  segment: string
  device: string
  country: string
  source: string
  category: string
  visitors: number
  arms: Arm[]
  suppressed: number
}
export type InsightsAnswer = {
  computed_at: string | null
  window_days: number
  segments: InsightSegment[]
  suppressed: number
}

const ANY = '*'
const DIMS = ['device', 'country', 'source', 'category'] as const

const dimText = (dim: (typeof DIMS)[number], value: string) => {
  if (value === ANY) return `any ${dim}`
  if (dim === 'country') return value || 'unknown country'
  if (value === '') return dim === 'category' ? 'no category' : `unknown ${dim}`
  return value
}
export const segmentLabel = (segment: Pick<InsightSegment, (typeof DIMS)[number]>) =>
  DIMS.map((dim) => dimText(dim, segment[dim])).join(' · ')

/** Whether a segment can hold the visitors the filters describe. */
const matches = (segment: InsightSegment, ctx: Ctx) =>
  (DIMS as readonly FilterName[]).every(
    (dim) => !ctx.state[dim] || segment[dim] === ANY || segment[dim] === ctx.state[dim],
  )

const arm = (row: Pick<Arm, 'offer_id' | 'variant'>) => `${row.offer_id} / ${row.variant}`

/**
 * Uplift over the offer's control, or none: the job reports 0 both for "as good as control" and
 * for "no control to compare with", so the figure is shown only when a control with conversions
 * was released next to the arm.
 */
function upliftOf(one: Arm, arms: readonly Arm[]): number | null {
  if (one.is_control) return null
  const control = arms.find((other) => other.offer_id === one.offer_id && other.is_control)
  return control && control.conversions > 0 ? one.uplift : null
}

function intervalCell(row: Row, scale: number) {
  const low = Number(row.ci_low)
  const high = Number(row.ci_high)
  return h(
    'span',
    { class: 'interval-cell' },
    intervalGraphic(Number(row.conversion_rate), low, high, scale),
    h('span', { class: 'sr-only' }, `95% interval ${fmtRate(low)} to ${fmtRate(high)}`),
    h('span', { 'aria-hidden': 'true', class: 'muted' }, `${fmtRate(low)}–${fmtRate(high)}`),
  )
}

const VERDICT_TEXT: Record<Verdict, string> = {
  recommended: 'Recommended: P(best) ≥ 95%',
  leading: 'Leading: not yet clear',
  alone: 'Only variant with enough visitors',
}

const badge = (called: Verdict) =>
  h(
    'span',
    { class: `badge${called === 'recommended' ? '' : ' pending'}`, title: VERDICT_TEXT[called] },
    called === 'recommended' ? 'Recommended' : called === 'leading' ? 'Leading' : 'Alone',
  )

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
    const summaryRows: Row[] = segments.map((segment) => {
      const best = segment.arms.find((one) => one.is_best) ?? segment.arms[0]
      const called = verdict(segment.arms)
      return {
        segment: segment.segment,
        label: segmentLabel(segment),
        visitors: segment.visitors,
        recommended: best ? arm(best) : '',
        verdict: called,
        confident: called === 'recommended',
        prob_best: best?.prob_best ?? null,
        conversion_rate: best?.conversion_rate ?? null,
        ci_low: best?.ci_low ?? null,
        ci_high: best?.ci_high ?? null,
        uplift: best ? upliftOf(best, segment.arms) : null,
        impressions: best?.impressions ?? 0,
      }
    })
    const summaryColumns: Column[] = [
      {
        key: 'label',
        label: 'Segment',
        kind: 'text',
        value: (row) => String(row.segment),
        render: (row) => String(row.label),
      },
      { key: 'visitors', label: 'Visitors', kind: 'int' },
      {
        key: 'recommended',
        label: 'Best offer',
        kind: 'text',
        render: (row) => [String(row.recommended), badge(row.verdict as Verdict)],
      },
      {
        key: 'verdict',
        label: 'Call',
        kind: 'text',
        csvOnly: true,
        value: (row) => VERDICT_TEXT[row.verdict as Verdict],
      },
      { key: 'prob_best', label: 'P(best)', kind: 'rate' },
      { key: 'conversion_rate', label: 'Conversion', kind: 'rate' },
      {
        key: 'interval',
        label: '95% interval',
        kind: 'text',
        screenOnly: true,
        render: (row) => intervalCell(row, scale),
      },
      { key: 'ci_low', label: 'Interval low', kind: 'rate' },
      { key: 'ci_high', label: 'Interval high', kind: 'rate' },
      { key: 'uplift', label: 'Uplift vs control', kind: 'rate' },
    ]
    // The interval bounds are drawn in one cell on screen and kept as two columns in the CSV.
    const screenSummary = summaryColumns.filter(
      (column) => column.key !== 'ci_low' && column.key !== 'ci_high',
    )

    if (!segments.some((segment) => segment.segment === chosen)) chosen = segments[0]?.segment ?? ''
    const current = segments.find((segment) => segment.segment === chosen)
    const detailRows: Row[] = (current?.arms ?? []).map((one) => ({ ...one, arm: arm(one) }))
    const detailVerdict = verdict(current?.arms ?? [])
    const detailColumns: Column[] = [
      {
        key: 'arm',
        label: 'Offer / variant',
        kind: 'text',
        render: (row) => [
          String(row.arm),
          row.is_control ? h('span', { class: 'muted' }, ' (control)') : '',
          row.is_best ? badge(detailVerdict) : '',
        ],
      },
      { key: 'impressions', label: 'Impressions', kind: 'int', bar: true },
      { key: 'clicks', label: 'Clicks', kind: 'int' },
      { key: 'conversions', label: 'Conversions', kind: 'int' },
      { key: 'conversion_rate', label: 'Conversion', kind: 'rate' },
      {
        key: 'interval',
        label: '95% interval',
        kind: 'text',
        screenOnly: true,
        render: (row) => intervalCell(row, scale),
      },
      { key: 'ci_low', label: 'Interval low', kind: 'rate' },
      { key: 'ci_high', label: 'Interval high', kind: 'rate' },
      {
        key: 'uplift',
        label: 'Uplift vs control',
        kind: 'rate',
        value: (row) => upliftOf(row as unknown as Arm, current?.arms ?? []),
      },
      { key: 'prob_best', label: 'P(best)', kind: 'rate' },
      { key: 'revenue', label: 'Revenue', kind: 'money' },
    ]
    const screenDetail = detailColumns.filter((column) => column.key !== 'ci_low' && column.key !== 'ci_high')

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
        columns: () => summaryColumns,
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
                  columns: () => detailColumns,
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
