import { EventRow } from '../../schemas/row.ts'

/**
 * `EventRow`s as a TabSeparated insert body, for the demo's bulk load. The warehouse parses this
 * format several times faster than JSONEachRow (no field names, no quoting of plain values),
 * which is what makes ten million demo events a reasonable benchmark step. The collector's own
 * batches stay JSONEachRow (its write-ahead log keeps them so).
 */

/** `events_in`'s columns in the order of the fields written below. */
export const EVENT_COLUMNS = Object.keys(EventRow.shape) as Array<keyof EventRow>

/** The statement the body goes with; the column list is a constant. */
export const TAB_SEPARATED_INSERT = `INSERT INTO events_in (${EVENT_COLUMNS.join(', ')}) FORMAT TabSeparated`

// A field's backslash, tab, line feed, carriage return and NUL are written as escapes, everything
// else as itself. Most fields need none, and testing first spares them the replace.
const SPECIAL = /[\\\t\n\r\0]/
const SPECIALS = /[\\\t\n\r\0]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' }
const escapeField = (text: string): string =>
  SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] as string) : text

// An array is written as its text form, `['a','b']` or `[1.5,2]`, with quotes and backslashes
// escaped inside its strings; the whole then gets the field escapes.
const quote = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`

const number = (value: number): string => {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`)
  return String(value)
}

const field = (value: unknown): string => {
  if (typeof value === 'string') return value === '' ? '' : escapeField(value)
  if (typeof value === 'number') return number(value)
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    return escapeField(
      `[${value.map((item) => (typeof item === 'string' ? quote(item) : number(item))).join(',')}]`,
    )
  }
  throw new Error(`not a field of events_in: ${JSON.stringify(value)}`)
}

export function tabSeparated(rows: readonly EventRow[]): string {
  const lines: string[] = new Array(rows.length)
  const last = EVENT_COLUMNS.length - 1
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as EventRow
    let line = ''
    for (let c = 0; c < last; c++) line += `${field(row[EVENT_COLUMNS[c] as keyof EventRow])}\t`
    lines[r] = line + field(row[EVENT_COLUMNS[last] as keyof EventRow])
  }
  return `${lines.join('\n')}\n`
}
