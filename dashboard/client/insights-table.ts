import type { OfferInsightRow } from '../../api/queries/getOfferInsights.ts'
import type { Decision } from '../../api/recommend/decision.ts'
import type { FilterName } from '../state.ts'
import { h } from './dom.ts'
import { fmtRate } from './format.ts'
import type { Ctx } from './panel.ts'
import { type Column, intervalGraphic, type Row } from './table.ts'

/**
 * The shapes, labels and table columns of the offer insights: what one segment and one arm look
 * like, how a segment is named, and the two tables the insights panel draws from them.
 */

/** One offer variant in one segment, as the recommendation API answers it. */
export type Arm = OfferInsightRow & { decision: Decision }
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
  /** RECOMMEND_PROB_BEST, which the API's `decision` applied. */
  prob_best_level: number
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
export const matches = (segment: InsightSegment, ctx: Ctx) =>
  (DIMS as readonly FilterName[]).every(
    (dim) => !ctx.state[dim] || segment[dim] === ANY || segment[dim] === ctx.state[dim],
  )

export const arm = (row: Pick<Arm, 'offer_id' | 'variant'>) => `${row.offer_id} / ${row.variant}`

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

/** The call on a segment's best arm: the API's decision on its offer (never `explore`: the arm exists). */
export type Verdict = Exclude<Decision, 'explore'>

const verdictText = (called: Verdict, level: number): string =>
  called === 'recommended'
    ? `Recommended: P(best) ≥ ${fmtLevel(level)}`
    : called === 'leading'
      ? `Leading: P(best) under ${fmtLevel(level)}, not yet clear`
      : 'Only variant with enough visitors'

// 0.95 → "95%", 0.975 → "97.5%": the configured level as given, not rounded to a whole percent.
const fmtLevel = (level: number) => `${Number((level * 100).toFixed(2))}%`

const badge = (called: Verdict, level: number) =>
  h(
    'span',
    { class: `badge${called === 'recommended' ? '' : ' pending'}`, title: verdictText(called, level) },
    called === 'recommended' ? 'Recommended' : called === 'leading' ? 'Leading' : 'Alone',
  )

/** The API's call on `arms`' best arm; `alone` when there is none to call. */
export const callOn = (arms: readonly Arm[]): Verdict => {
  const best = arms.find((one) => one.is_best) ?? arms[0]
  return best && best.decision !== 'explore' ? best.decision : 'alone'
}

/** The summary line of one segment: its best arm, the call on it, and that arm's figures. */
export function summaryRow(segment: InsightSegment): Row {
  const best = segment.arms.find((one) => one.is_best) ?? segment.arms[0]
  const called = callOn(segment.arms)
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
}

/**
 * The columns of the summary table; `scale` is the shared axis of the interval whiskers, `level`
 * the RECOMMEND_PROB_BEST the calls were made at.
 */
export const summaryColumns = (scale: number, level: number): Column[] => [
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
    render: (row) => [String(row.recommended), badge(row.verdict as Verdict, level)],
  },
  {
    key: 'verdict',
    label: 'Call',
    kind: 'text',
    csvOnly: true,
    value: (row) => verdictText(row.verdict as Verdict, level),
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

/** The columns of one segment's variants; `arms` are that segment's, `called` the call on its best. */
export const detailColumns = (
  scale: number,
  arms: readonly Arm[],
  called: Verdict,
  level: number,
): Column[] => [
  {
    key: 'arm',
    label: 'Offer / variant',
    kind: 'text',
    render: (row) => [
      String(row.arm),
      row.is_control ? h('span', { class: 'muted' }, ' (control)') : '',
      row.is_best ? badge(called, level) : '',
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
    value: (row) => upliftOf(row as unknown as Arm, arms),
  },
  { key: 'prob_best', label: 'P(best)', kind: 'rate' },
  { key: 'revenue', label: 'Revenue', kind: 'money' },
]
