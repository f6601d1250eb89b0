import type { AnswerMeta } from '../../api/answer-meta.ts'
import { daysBetween, previousRange } from '../state.ts'
import { getJson } from './api.ts'
import { h } from './dom.ts'
import { change, fmtDay, fmtDuration, fmtInt, fmtMoney, fmtRate } from './format.ts'
import { noiseMargin } from './noise.ts'
import { type Ctx, guarded, type Panel, unappliedNote } from './panel.ts'
import { privacyLine } from './privacy-line.ts'
import { viewQuery } from './view-query.ts'

type Overview = {
  from: string
  to: string
  pageviews: number
  visitors: number
  events: Record<string, number>
  revenue: number | null
  /** ISO 4217 code of the site's order values. */
  currency?: string
  conversion_rate: number | null
  visits: number | null
  views_per_visit: number | null
  bounce_rate: number | null
  visit_duration: number | null
  /** Differentially private answers: the standard deviation of each figure's noise. */
  sd?: Record<string, number>
}
type OverviewAnswer = {
  current: Overview | null
  previous: Overview | null
  suppressed: number
} & Partial<AnswerMeta>

// Plausible's top row, then the shop's own figures. A falling bounce rate is the good direction.
const CARDS: {
  key:
    | 'visitors'
    | 'visits'
    | 'pageviews'
    | 'views_per_visit'
    | 'bounce_rate'
    | 'visit_duration'
    | 'conversion_rate'
    | 'revenue'
  label: string
  kind: 'int' | 'rate' | 'money' | 'decimal' | 'duration'
  lowerIsBetter?: boolean
}[] = [
  { key: 'visitors', label: 'Visitors', kind: 'int' },
  { key: 'visits', label: 'Visits', kind: 'int' },
  { key: 'pageviews', label: 'Pageviews', kind: 'int' },
  { key: 'views_per_visit', label: 'Views per visit', kind: 'decimal' },
  { key: 'bounce_rate', label: 'Bounce rate', kind: 'rate', lowerIsBetter: true },
  { key: 'visit_duration', label: 'Visit duration', kind: 'duration' },
  { key: 'conversion_rate', label: 'Conversion rate', kind: 'rate' },
  { key: 'revenue', label: 'Revenue', kind: 'money' },
]

const show = (kind: (typeof CARDS)[number]['kind'], value: number, currency?: string): string =>
  kind === 'int'
    ? fmtInt(value)
    : kind === 'rate'
      ? fmtRate(value)
      : kind === 'decimal'
        ? value.toFixed(2)
        : kind === 'duration'
          ? fmtDuration(value)
          : fmtMoney(value, currency)

/** The overview cards: visitors, pageviews, conversion and revenue against the previous range. */
export function overviewCards(): Panel {
  const section = h('section', {
    class: 'cards',
    id: 'panel-overview',
    'aria-label': 'Overview',
    'aria-busy': 'true',
  })
  const live = h('p', { class: 'live', id: 'visitors-now', 'aria-live': 'polite', hidden: true })
  const note = h('div', { class: 'notes', id: 'overview-note' })
  const guarantee = h('p', { class: 'note', id: 'privacy-line' })
  const element = h('div', { class: 'overview' }, live, section, note, guarantee)
  const load = (ctx: Ctx): Promise<void> =>
    guarded(
      section,
      section,
      ctx,
      async () => {
        void visitorsNow(live, ctx)
        const answer = await getJson<OverviewAnswer>('overview', viewQuery(ctx, 'overview'), ctx.signal)
        const { current, previous } = answer
        const days = daysBetween(ctx.state.from, ctx.state.to)
        const prev = previousRange(ctx.state)
        section.replaceChildren(
          ...CARDS.map((card) => {
            const value = current ? current[card.key] : null
            const before = previous ? previous[card.key] : null
            const margin = noiseMargin(value, current?.sd?.[card.key])
            const text =
              value === null || value === undefined
                ? '—'
                : `${show(card.kind, value, current?.currency)}${margin === null ? '' : ` ±${show(card.kind, card.kind === 'int' ? Math.round(margin) : margin, current?.currency)}`}`
            let delta: HTMLElement
            if (value === null || value === undefined || before === null || before === undefined) {
              delta = h(
                'span',
                { class: 'delta flat' },
                value === null || value === undefined
                  ? answer.release === 'differential-privacy'
                    ? 'released when the day closes'
                    : 'held back'
                  : h(
                      'span',
                      { class: 'muted' },
                      `nothing to compare in the previous ${days === 1 ? 'day' : `${days} days`}`,
                    ),
              )
            } else {
              const moved = change(value, before, card.kind === 'rate' ? 'points' : 'relative')
              const direction = moved.value > 0 ? 'up' : moved.value < 0 ? 'down' : 'flat'
              // The colour says good or bad: a bounce rate going down is good.
              const tone =
                direction === 'flat'
                  ? 'flat'
                  : (direction === 'up') !== Boolean(card.lowerIsBetter)
                    ? 'up'
                    : 'down'
              const arrow = direction === 'up' ? '▲' : direction === 'down' ? '▼' : '■'
              delta = h(
                'span',
                { class: `delta ${tone}`, 'data-direction': direction, 'data-previous': String(before) },
                h('span', { 'aria-hidden': 'true' }, `${arrow} `),
                h(
                  'span',
                  { class: 'sr-only' },
                  direction === 'up' ? 'up ' : direction === 'down' ? 'down ' : 'unchanged ',
                ),
                moved.text,
                ' ',
                h('span', { class: 'muted' }, `vs ${fmtDay(prev.from)}–${fmtDay(prev.to)}`),
              )
            }
            return h(
              'article',
              { class: 'card', 'data-card': card.key },
              h('h2', {}, card.label),
              h(
                'span',
                { class: 'figure', 'data-value': value === null || value === undefined ? '' : String(value) },
                text,
              ),
              delta,
            )
          }),
        )
        const notes: string[] = []
        if (!current) notes.push(`Fewer than ${ctx.k} visitors in this range: its figures are held back.`)
        else if (current.revenue === null)
          notes.push(`Fewer than ${ctx.k} visitors bought: revenue and conversion are held back.`)
        const unapplied = unappliedNote(ctx, 'overview')
        note.replaceChildren(...notes.map((text) => h('p', { class: 'note' }, text)), unapplied ?? '')
        note.hidden = notes.length === 0 && !unapplied
        guarantee.textContent = privacyLine(answer, ctx.k)
      },
      () => void load(ctx),
    )
  return { element, load }
}

type NowAnswer = { now: { visitors: number; minutes: number } | null; release?: string }

/**
 * "N visitors now": the collector's live count of the last minutes (GET /api/stats/now), or
 * "fewer than K" when the k gate holds it back. Left out when it cannot be read, and with
 * differential privacy on, which releases no count of the last minutes.
 */
async function visitorsNow(line: HTMLElement, ctx: Ctx): Promise<void> {
  try {
    const answer = await getJson<NowAnswer>('now', new URLSearchParams({ site: ctx.state.site }), ctx.signal)
    if (answer.release === 'differential-privacy') {
      line.hidden = true
      return
    }
    const count = answer.now?.visitors
    line.dataset.value = count === undefined ? '' : String(count)
    line.replaceChildren(
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      count === undefined
        ? `Fewer than ${ctx.k} visitors now`
        : `${fmtInt(count)} ${count === 1 ? 'visitor' : 'visitors'} now`,
      h('span', { class: 'muted' }, ` (last ${answer.now?.minutes ?? 5} minutes)`),
    )
    line.hidden = false
  } catch {
    line.hidden = true
  }
}
