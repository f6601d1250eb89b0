import type { FilterName } from '../state.ts'
import { dimensionLabel } from './labels.ts'
import { type Ctx, filterButton } from './panel.ts'
import type { Column } from './table.ts'

/** A part of a whole as a rounded share, or null when the whole is empty. */
export const rate = (part: unknown, whole: unknown) => {
  const w = Number(whole)
  return w > 0 ? Math.round((Number(part) / w) * 10_000) / 10_000 : null
}

/** A count column, optionally drawn with a bar. */
export const int = (key: string, label: string, bar = false): Column => ({ key, label, kind: 'int', bar })

/** A dimension's value, labelled, and a button that filters by it when it is a filter. */
export const dimension = (
  key: string,
  label: string,
  dim: string,
  ctx: Ctx,
  filter?: FilterName,
): Column => ({
  key,
  label,
  kind: 'text',
  render: (row) => {
    const value = String(row[key] ?? '')
    const shown = dimensionLabel(dim, value)
    return filter ? filterButton(ctx, filter, value, shown) : shown
  },
})
