import { type CsvCell, download, toCsv } from './csv.ts'
import { h, type Kid, s } from './dom.ts'
import { fmtDuration, fmtInt, fmtMoney, fmtRate } from './format.ts'
import { noiseMargin, sdOf } from './noise.ts'

/**
 * A table of released rows, with its CSV export and the count of rows held back. What the table
 * shows and what the CSV holds come from the same column list and the same rows.
 */

/** `duration`: seconds, shown as the overview's visit duration is (`12 s`, `3 min 05 s`). */
export type Kind = 'text' | 'int' | 'money' | 'rate' | 'duration'
export type Row = Record<string, unknown>

export type Column = {
  key: string
  label: string
  kind: Kind
  /** A value other than `row[key]`, e.g. a rate computed from two counts. */
  value?: (row: Row) => CsvCell
  /** Shown instead of the formatted value (the CSV keeps the raw value). */
  render?: (row: Row) => Kid
  /** Draws the row's share of the column's largest value behind this cell. */
  bar?: boolean
  /** Only on screen: no CSV column (e.g. an interval drawing whose bounds are columns of their own). */
  screenOnly?: boolean
  /** Only in the CSV: what the screen shows another way (a badge, say). */
  csvOnly?: boolean
}

export const cellValue = (column: Column, row: Row): CsvCell =>
  column.value ? column.value(row) : (row[column.key] as CsvCell)

/** `currency`: the row's ISO 4217 code, for a `money` value. */
export function formatValue(kind: Kind, value: CsvCell, currency?: unknown): string {
  if (value === null || value === undefined || value === '') return kind === 'text' ? '' : '–'
  const number = Number(value)
  switch (kind) {
    case 'int':
      return fmtInt(number)
    case 'money':
      return fmtMoney(number, currency)
    case 'rate':
      return fmtRate(number)
    case 'duration':
      return fmtDuration(number)
    default:
      return String(value)
  }
}

/**
 * What the table leaves out: the rows the k gate held back, or, for a differentially private
 * answer (`release`), that only groups past the noisy release threshold are published at all.
 */
export function suppressedNote(suppressed: number, k: number, release?: string): HTMLElement | null {
  if (release === 'differential-privacy') {
    return h(
      'p',
      { class: 'suppressed', 'data-release': release },
      'Differentially private: only groups whose noisy visitor count passed the release threshold are published; figures carry their noise (±: 95 % interval).',
    )
  }
  if (!suppressed) return null
  return h(
    'p',
    { class: 'suppressed', 'data-suppressed': suppressed },
    `${fmtInt(suppressed)} ${suppressed === 1 ? 'row' : 'rows'} hidden: fewer than ${k} visitors`,
  )
}

/** Tables of more columns than this are stacked, a card per row, on a phone (styles.css). */
const STACK_PAST = 4

/** "± n" after a released figure whose noise is more than 1 % of it (./noise.ts). */
function noiseNote(column: Column, row: Row, value: CsvCell): HTMLElement | '' {
  if (column.kind === 'text' || column.render) return ''
  const margin = noiseMargin(typeof value === 'number' ? value : null, sdOf(row, column.key))
  if (margin === null) return ''
  return h(
    'span',
    { class: 'noise', title: '95 % interval of the privacy noise' },
    ` ±${formatValue(column.kind, column.kind === 'int' ? Math.round(margin) : margin, row.currency)}`,
  )
}

export function dataTable(options: {
  caption: string
  columns: Column[]
  rows: Row[]
  rowClass?: (row: Row) => string
}) {
  const { rows } = options
  const columns = options.columns.filter((column) => !column.csvOnly)
  const max: Record<string, number> = {}
  for (const column of columns) {
    if (column.bar) max[column.key] = Math.max(0, ...rows.map((row) => Number(cellValue(column, row)) || 0))
  }
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      columns.map((column) =>
        h(
          'th',
          { scope: 'col', class: column.kind === 'text' ? '' : 'num', 'data-key': column.key },
          column.label,
        ),
      ),
    ),
  )
  const body = h(
    'tbody',
    {},
    rows.map((row) =>
      h(
        'tr',
        { class: options.rowClass?.(row) ?? null },
        columns.map((column, index) => {
          const value = cellValue(column, row)
          const cell = h(
            index === 0 ? 'th' : 'td',
            {
              scope: index === 0 ? 'row' : null,
              class: [column.kind === 'text' ? 'label' : 'num', column.bar ? 'bar' : ''].join(' ').trim(),
              'data-key': column.key,
              // A label cut short by its column keeps its whole text here.
              title: column.kind === 'text' && typeof value === 'string' && value ? value : null,
              // A phone shows a wide table's rows as stacked cards, each value under its name.
              'data-label': column.label,
              'data-value': column.screenOnly
                ? null
                : value === undefined || value === null
                  ? ''
                  : String(value),
            },
            column.render ? column.render(row) : formatValue(column.kind, value, row.currency),
            noiseNote(column, row, value),
          )
          const top = max[column.key]
          // The share is set through the CSSOM, which a strict style-src policy allows.
          if (column.bar && top) cell.style.setProperty('--share', `${((Number(value) || 0) / top) * 100}%`)
          return cell
        }),
      ),
    ),
  )
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: columns.length > STACK_PAST ? 'stack' : null },
      h('caption', { class: 'sr-only' }, options.caption),
      head,
      body,
    ),
  )
}

/**
 * The CSV of a differentially private answer keeps each noisy figure's standard deviation in a
 * column of its own after the figure (`<label> noise sd`), so an export is as honest as the screen.
 */
export function withNoiseColumns(columns: readonly Column[], rows: readonly Row[]): Column[] {
  return columns.flatMap((column) =>
    column.kind !== 'text' && rows.some((row) => sdOf(row, column.key) !== undefined)
      ? [
          column,
          {
            key: `${column.key}_sd`,
            label: `${column.label} noise sd`,
            kind: column.kind,
            value: (row: Row) => sdOf(row, column.key) ?? null,
          },
        ]
      : [column],
  )
}

export function csvButton(options: {
  title: string
  filename: () => string
  columns: () => Column[]
  rows: () => Row[]
}) {
  return h(
    'button',
    {
      type: 'button',
      class: 'small csv',
      'aria-label': `Export ${options.title} as CSV`,
      onclick: () => {
        const rows = options.rows()
        const columns = withNoiseColumns(
          options.columns().filter((column) => !column.screenOnly),
          rows,
        )
        const lines = rows.map((row) => columns.map((column) => cellValue(column, row)))
        download(options.filename(), toCsv(columns, lines))
      },
    },
    'CSV',
  )
}

/** A rate and its interval as a whisker on a 0..`scale` axis. */
export function intervalGraphic(rate: number, low: number, high: number, scale: number): SVGSVGElement {
  const x = (value: number) => 2 + (Math.min(Math.max(value, 0), scale) / scale) * 116
  return s(
    'svg',
    { class: 'interval', viewBox: '0 0 120 14', 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { x: 0, y: 5, width: 120, height: 4, rx: 2 }),
    s('line', { x1: x(low), x2: x(high), y1: 7, y2: 7 }),
    s('line', { x1: x(low), x2: x(low), y1: 3, y2: 11 }),
    s('line', { x1: x(high), x2: x(high), y1: 3, y2: 11 }),
    s('circle', { cx: x(rate), cy: 7, r: 3.5 }),
  )
}
