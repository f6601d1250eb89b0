import { activeFilters } from '../state.ts'
import type { Released } from './api.ts'
import { h } from './dom.ts'
import { fmtDay } from './format.ts'
import type { Ctx } from './panel.ts'

/** The install snippet for this site, with a button that copies it. */
function snippet(site: string): HTMLElement {
  const code = [
    `<script defer src="${location.origin}/beacon.js" data-site="${site}"></script>`,
    '<script>',
    '  // Optional: events beyond pageviews. Calls made before the script loads are queued.',
    '  window.tally = window.tally || function (...args) { (window.tally.q = window.tally.q || []).push(args) }',
    "  tally('product_view', { product: { id: 'bp-1', category: 'brakes', price: 39.9 } })",
    '</script>',
  ].join('\n')
  const copy = h('button', { type: 'button', class: 'small' }, 'Copy')
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(code).then(() => {
      copy.textContent = 'Copied'
      setTimeout(() => {
        copy.textContent = 'Copy'
      }, 2000)
    })
  })
  return h(
    'div',
    { class: 'snippet' },
    h('pre', { tabindex: 0, 'aria-label': 'Beacon install snippet' }, h('code', {}, code)),
    copy,
  )
}

/**
 * The notice for a range with nothing at all in it: with filters, it says so; without, it shows
 * how to start collecting. `views` are the elements it hides while the range is empty and unfiltered.
 */
export function emptyState(views: () => HTMLElement[]) {
  const element = h('section', {
    class: 'empty-state',
    id: 'empty-state',
    hidden: true,
    'aria-labelledby': 'empty-title',
  })
  return {
    element,
    /** Shows the notice when the series holds nothing, released or held back. */
    show(series: Released<unknown>, ctx: Ctx) {
      const nothing = series.rows.length === 0 && series.suppressed === 0
      const filtered = activeFilters(ctx.state).length > 0
      element.hidden = !nothing
      for (const view of views()) view.hidden = nothing && !filtered
      if (!nothing) return
      const range = `${fmtDay(ctx.state.from, { dateStyle: 'medium' })} – ${fmtDay(ctx.state.to, { dateStyle: 'medium' })}`
      element.replaceChildren(
        ...(filtered
          ? [
              h('h2', { id: 'empty-title' }, 'No events match these filters'),
              h(
                'p',
                {},
                `Nothing was recorded for ${range} with these filters. Try a wider range or reset the filters.`,
              ),
            ]
          : [
              h('h2', { id: 'empty-title' }, `No events for “${ctx.state.site}” yet`),
              h(
                'p',
                {},
                `Nothing was recorded for ${range}. Add the beacon to every page of the shop, before `,
                h('code', {}, '</head>'),
                ':',
              ),
              snippet(ctx.state.site),
              h(
                'p',
                { class: 'muted' },
                'It sets no cookie and stores no identifier. To see the dashboard with sample traffic first, run ',
                h('code', {}, 'npm run demo'),
                '.',
              ),
            ]),
      )
    },
  }
}
