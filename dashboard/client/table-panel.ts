import { getRows, type Released } from './api.ts'
import { h } from './dom.ts'
import { type Ctx, guarded, type Panel, shell, toggles, unappliedNote } from './panel.ts'
import { type Column, csvButton, dataTable, type Row, suppressedNote } from './table.ts'
import { csvFileName, viewQuery } from './view-query.ts'

export type TableTab = {
  id: string
  label: string
  params?: Record<string, string>
  columns: (ctx: Ctx) => Column[]
  pick?: (rows: Row[]) => Row[]
}

/**
 * A view that is one table of released rows (with optional tabs over the same endpoint), its CSV
 * export, the rows held back and the filters it could not apply.
 */
export function tablePanel(spec: {
  id: string
  title: string
  view: string
  description?: string
  wide?: boolean
  tabs: TableTab[]
  extra?: (ctx: Ctx) => Record<string, string>
  extraTools?: (ctx: Ctx, reload: () => void) => Node | null
  onRows?: (rows: Row[], ctx: Ctx) => void
  rowClass?: (row: Row) => string
  empty?: string
}): Panel {
  const { section, tools, notes, body, footer } = shell(spec)
  let tab = spec.tabs[0] as TableTab
  let shown: { columns: Column[]; rows: Row[] } = { columns: [], rows: [] }
  let last: Ctx | undefined
  let cache = new Map<string, Released<Row>>()
  let cacheKey = ''

  const load = (ctx: Ctx): Promise<void> =>
    guarded(
      section,
      body,
      ctx,
      async () => {
        if (ctx !== last) {
          last = ctx
          cache = new Map()
        }
        const query = viewQuery(ctx, filterKey(spec.view, tab.params), {
          ...(spec.extra?.(ctx) ?? {}),
          ...(tab.params ?? {}),
        })
        cacheKey = query.toString()
        const released = cache.get(cacheKey) ?? (await getRows<Row>(spec.view, query, ctx.signal))
        cache.set(cacheKey, released)
        spec.onRows?.(released.rows, ctx)
        const rows = tab.pick ? tab.pick(released.rows) : released.rows
        const columns = tab.columns(ctx)
        shown = { columns, rows }
        tools.replaceChildren(
          spec.extraTools?.(ctx, () => void load(ctx)) ?? '',
          spec.tabs.length > 1
            ? toggles(
                `${spec.title}: group by`,
                spec.tabs.map(({ id, label }) => ({ id, label })),
                () => tab.id,
                (id) => {
                  tab = spec.tabs.find((one) => one.id === id) ?? tab
                  void load(ctx)
                },
              )
            : '',
          csvButton({
            title: spec.title,
            filename: () => csvFileName(ctx, spec.tabs.length > 1 ? `${spec.id}-${tab.id}` : spec.id),
            columns: () => shown.columns,
            rows: () => shown.rows,
          }),
        )
        body.replaceChildren(
          rows.length
            ? dataTable({
                caption: spec.title,
                columns,
                rows,
                ...(spec.rowClass ? { rowClass: spec.rowClass } : {}),
              })
            : h('p', { class: 'empty' }, spec.empty ?? 'Nothing to show for this range.'),
        )
        notes.replaceChildren(unappliedNote(ctx, filterKey(spec.view, tab.params)) ?? '')
        footer.replaceChildren(suppressedNote(released.suppressed, ctx.k, released.release) ?? '')
      },
      () => last && void load(last),
    )
  return { element: section, load }
}

/**
 * The key of a view's accepted filters: the view, or for a tab grouped `by` one dimension the view
 * and that dimension (`sources?by=referrer_host`), whose released figures may take other filters.
 */
function filterKey(view: string, params: Record<string, string> | undefined): string {
  return params?.by ? `${view}?by=${params.by}` : view
}
