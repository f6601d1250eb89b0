import { int, rate } from './columns.ts'
import type { Panel } from './panel.ts'
import { tablePanel } from './table-panel.ts'

// Offer performance: impressions, clicks and conversions per offer and variant.

export function offersPanel(): Panel {
  return tablePanel({
    id: 'offers',
    title: 'Offer performance',
    view: 'offers',
    wide: true,
    description:
      'Per offer and variant in this range. Conversions are purchases made after clicking the offer.',
    tabs: [
      {
        id: 'offers',
        label: 'Offers',
        columns: () => [
          {
            key: 'arm',
            label: 'Offer / variant',
            kind: 'text',
            value: (row) => `${row.offer_id} / ${row.variant}`,
            screenOnly: true,
          },
          { key: 'offer_id', label: 'Offer', kind: 'text', csvOnly: true },
          { key: 'variant', label: 'Variant', kind: 'text', csvOnly: true },
          int('impressions', 'Impressions', true),
          int('clicks', 'Clicks'),
          {
            key: 'ctr',
            label: 'Click rate',
            kind: 'rate',
            value: (row) => rate(row.clicks, row.impressions),
          },
          int('purchases', 'Conversions'),
          {
            key: 'conversion',
            label: 'Conversion',
            kind: 'rate',
            value: (row) => rate(row.purchases, row.impressions),
          },
          { key: 'revenue', label: 'Revenue', kind: 'money' },
        ],
      },
    ],
    empty: 'No offer was shown in this range.',
  })
}
