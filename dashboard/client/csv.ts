/** CSV export of a table as it is shown: the same columns, the same rows, raw values. */

export type CsvColumn = { key: string; label: string }
export type CsvCell = string | number | boolean | null | undefined

// A spreadsheet runs a cell that starts with one of these as a formula, also after leading
// whitespace or as a full-width form (`＝`, which NFKC reads as `=`); a leading quote keeps it text.
const FORMULA = /^[=+\-@\t\r|]/
const LEADING_SPACE = /^[\s\p{Cc}\p{Cf}]+/u

export const isFormula = (text: string): boolean => {
  const normal = text.normalize('NFKC')
  return FORMULA.test(normal) || FORMULA.test(normal.replace(LEADING_SPACE, ''))
}

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  if (typeof value === 'string' && isFormula(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(columns: readonly CsvColumn[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [columns.map((column) => csvCell(column.label)), ...rows.map((row) => row.map(csvCell))]
  return `${lines.map((cells) => cells.join(',')).join('\r\n')}\r\n`
}

/** Saves text as a file through a temporary link, the way a browser download works without a server. */
export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
