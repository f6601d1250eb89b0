import { dimension, int, rate } from './columns.ts'
import { h } from './dom.ts'
import { fmtMoney, fmtRate } from './format.ts'
import { dimensionLabel } from './labels.ts'
import type { Ctx, Panel } from './panel.ts'
import type { Column, Row } from './table.ts'
import { tablePanel } from './table-panel.ts'

// The shop's views: the product funnel, top products, what is viewed next and site search.

export function funnelPanel(): Panel {
  return tablePanel({
    id: 'funnel',
    title: 'Product funnel',
    view: 'funnel',
    description: 'Visitors at each step; drop-off is the share of the step before who did not go on.',
    tabs: [
      {
        id: 'funnel',
        label: 'Funnel',
        columns: () => [
          {
            key: 'step',
            label: 'Step',
            kind: 'text',
            render: (row) => dimensionLabel('step', String(row.step)),
          },
          int('visitors', 'Visitors', true),
          { key: 'conversion', label: 'Of first step', kind: 'rate' },
          {
            key: 'drop_off',
            label: 'Drop-off',
            kind: 'rate',
            render: (row) =>
              row.drop_off === null || row.drop_off === undefined
                ? '–'
                : h('span', { class: 'drop-off' }, `↓ ${fmtRate(Number(row.drop_off))}`),
          },
          int('events', 'Events'),
          {
            key: 'revenue',
            label: 'Revenue',
            kind: 'money',
            // Only orders carry revenue: views and carts show none rather than a zero.
            render: (row) =>
              row.step === 'checkout' || row.step === 'purchase'
                ? fmtMoney(Number(row.revenue), row.currency)
                : '–',
          },
        ],
      },
    ],
    empty: 'No product views in this range.',
  })
}

export function productsPanel(onRows: (rows: Row[], ctx: Ctx) => void): Panel {
  return tablePanel({
    id: 'products',
    title: 'Top products',
    view: 'products',
    wide: true,
    onRows,
    tabs: [
      {
        id: 'products',
        label: 'Products',
        columns: (ctx) => [
          { key: 'product_id', label: 'Product', kind: 'text' },
          dimension('category', 'Category', 'category', ctx, 'category'),
          int('views', 'Views', true),
          int('carts', 'Carts'),
          int('purchases', 'Purchases'),
          { key: 'revenue', label: 'Revenue', kind: 'money' },
          {
            key: 'view_to_purchase',
            label: 'View → purchase',
            kind: 'rate',
            value: (row) => rate(row.purchases, row.views),
          },
        ],
      },
    ],
  })
}

export function transitionsPanel(products: () => string[]): Panel {
  let product = ''
  return tablePanel({
    id: 'transitions',
    title: 'Viewed next',
    view: 'transitions',
    description: 'Products viewed one after the other in the same tab: what people look at after a product.',
    extra: (): Record<string, string> => (product ? { product } : {}),
    extraTools: (_ctx, reload) => {
      const options = products()
      if (product && !options.includes(product)) options.unshift(product)
      const select = h(
        'select',
        {
          id: 'transitions-product',
          onchange: (event: Event) => {
            product = (event.target as HTMLSelectElement).value
            reload()
          },
        },
        h('option', { value: '' }, 'After any product'),
        options.map((id) => h('option', { value: id, selected: id === product }, `After ${id}`)),
      )
      return h(
        'span',
        { class: 'field-inline' },
        h('label', { for: 'transitions-product', class: 'sr-only' }, 'Viewed after'),
        select,
      )
    },
    tabs: [
      {
        id: 'transitions',
        label: 'Transitions',
        columns: () => [
          { key: 'from_product', label: 'Viewed', kind: 'text' },
          { key: 'to_product', label: 'Then viewed', kind: 'text' },
          { key: 'to_category', label: 'Its category', kind: 'text' },
          int('transitions', 'Times', true),
          int('visitors', 'Visitors'),
        ],
      },
    ],
    empty: 'No product was viewed after another in this range.',
  })
}

export function searchPanel(): Panel {
  const columns = (): Column[] => [
    { key: 'query', label: 'Search term', kind: 'text' },
    int('searches', 'Searches', true),
    int('zero_results', 'No results'),
    int('visitors', 'Visitors'),
  ]
  return tablePanel({
    id: 'search',
    title: 'Site search',
    view: 'search',
    tabs: [
      { id: 'all', label: 'All terms', columns },
      {
        id: 'zero',
        label: 'No results',
        columns,
        pick: (rows) =>
          rows
            .filter((row) => Number(row.zero_results) > 0)
            .sort((a, b) => Number(b.zero_results) - Number(a.zero_results)),
      },
    ],
    empty: 'No searches in this range.',
  })
}
