import type { FilterName } from '../state.ts'
import { dimension, int } from './columns.ts'
import type { Ctx, Panel } from './panel.ts'
import type { Row } from './table.ts'
import { type TableTab, tablePanel } from './table-panel.ts'

// Where visitors come from and what they browse with: pages, sources and technology views.

export function pagesPanel(): Panel {
  return tablePanel({
    id: 'pages',
    title: 'Top pages',
    view: 'pages',
    tabs: [
      {
        id: 'pages',
        label: 'Pages',
        columns: () => [
          { key: 'path', label: 'Page', kind: 'text' },
          int('pageviews', 'Pageviews', true),
          int('visitors', 'Visitors'),
        ],
      },
    ],
  })
}

export function sourcesPanel(): Panel {
  const tab = (id: string, label: string, heading: string, filter?: FilterName): TableTab => ({
    id,
    label,
    params: { by: id },
    columns: (ctx) => [
      dimension('value', heading, id, ctx, filter),
      int('visitors', 'Visitors', true),
      int('pageviews', 'Pageviews'),
    ],
  })
  return tablePanel({
    id: 'sources',
    title: 'Sources and campaigns',
    view: 'sources',
    tabs: [
      tab('source', 'Channel', 'Channel', 'source'),
      tab('referrer_host', 'Referrer', 'Referrer'),
      tab('utm_campaign', 'Campaign', 'utm_campaign'),
      tab('utm_source', 'UTM source', 'utm_source'),
      tab('utm_medium', 'UTM medium', 'utm_medium'),
    ],
  })
}

export function techPanel(options: {
  id: string
  title: string
  view: string
  key: string
  heading: string
  filter?: FilterName
  onRows?: (rows: Row[], ctx: Ctx) => void
}): Panel {
  return tablePanel({
    id: options.id,
    title: options.title,
    view: options.view,
    tabs: [
      {
        id: options.id,
        label: options.title,
        columns: (ctx) => [
          dimension(options.key, options.heading, options.key, ctx, options.filter),
          int('visitors', 'Visitors', true),
          int('pageviews', 'Pageviews'),
        ],
      },
    ],
    ...(options.onRows ? { onRows: options.onRows } : {}),
  })
}
