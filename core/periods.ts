/**
 * Calendar periods of released figures, on `YYYY-MM-DD` UTC days: a day, an ISO week (Monday to
 * Sunday, named by its Monday) and a calendar month (named by its 1st). Pure date arithmetic
 * shared by the publish job, which publishes closed weeks and months, and the read side, which
 * tiles a range with them (docs/privacy.md, "Time grains").
 */

export type CalendarGrain = 'day' | 'week' | 'month'

const DAY_MS = 86_400_000

const toMs = (day: string): number => Date.parse(`${day}T00:00:00Z`)
const toDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** `day` moved by `days` (negative: earlier). */
export const addDays = (day: string, days: number): string => toDay(toMs(day) + days * DAY_MS)

/** The Monday of the ISO week holding `day`. */
export function mondayOf(day: string): string {
  const weekday = (new Date(toMs(day)).getUTCDay() + 6) % 7
  return addDays(day, -weekday)
}

/** The 1st of the month holding `day`. */
export const monthOf = (day: string): string => `${day.slice(0, 7)}-01`

/** The first day of the period of `grain` holding `day`. */
export function periodStart(grain: CalendarGrain, day: string): string {
  if (grain === 'week') return mondayOf(day)
  if (grain === 'month') return monthOf(day)
  return day
}

/** The last day of the period of `grain` that starts on `start`. */
export function periodEnd(grain: CalendarGrain, start: string): string {
  if (grain === 'week') return addDays(start, 6)
  if (grain === 'month') {
    const at = new Date(toMs(start))
    // Day 0 of the next month is the last day of this one.
    return toDay(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0))
  }
  return start
}

/** Whether the period of `grain` starting on `start` has closed before `today` begins. */
export const periodClosed = (grain: CalendarGrain, start: string, today: string): boolean =>
  periodEnd(grain, start) < today

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = []
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day)
  return days
}
