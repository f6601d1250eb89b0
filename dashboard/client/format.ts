/** Number and date formatting in the reader's locale. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 })
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 })
const percentFine = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 })

export const fmtInt = (value: number): string => integer.format(value)
export const fmtCompact = (value: number): string =>
  Math.abs(value) < 10_000 ? integer.format(value) : compact.format(value)
const moneyIn = new Map<string, Intl.NumberFormat>()
/**
 * An amount in its site's currency (the answer's `currency`, an ISO 4217 code); without one, a
 * plain amount with cents.
 */
export function fmtMoney(value: number, currency?: unknown): string {
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return money.format(value)
  let format = moneyIn.get(currency)
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency })
    moneyIn.set(currency, format)
  }
  return format.format(value)
}
/** A rate in [0, 1] as a percentage. */
export const fmtRate = (value: number): string =>
  (value !== 0 && Math.abs(value) < 0.1 ? percentFine : percent).format(value)

export const fmtDay = (
  day: string,
  options: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' },
): string =>
  new Date(`${day.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, { ...options, timeZone: 'UTC' })

export const fmtHour = (hour: string): string => `${hour.length >= 13 ? hour.slice(11, 13) : '00'}:00`

/** A change between two periods: relative for counts, in percentage points for rates. */
export function change(current: number, previous: number, kind: 'relative' | 'points') {
  if (kind === 'points') {
    const points = (current - previous) * 100
    return { value: points, text: `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(1)} pp` }
  }
  if (previous === 0)
    return current === 0 ? { value: 0, text: '±0%' } : { value: Number.POSITIVE_INFINITY, text: 'new' }
  const ratio = (current - previous) / previous
  return { value: ratio, text: `${ratio >= 0 ? '+' : '−'}${percent.format(Math.abs(ratio))}` }
}

/** Seconds as `12 s`, `3 min 05 s` or `1 h 02 min`. */
export function fmtDuration(seconds: number): string {
  const total = Math.round(seconds)
  if (total < 60) return `${total} s`
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`
  return `${Math.floor(total / 3600)} h ${String(Math.floor((total % 3600) / 60)).padStart(2, '0')} min`
}
