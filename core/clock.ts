// Both are read off the ISO form so the result is UTC whatever the process time zone is. Each
// remembers its last answer and the span it holds for: the collector asks both for every event,
// and formatting a date cost more than the rest of stamping it.

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** The start of the span of `length` ms (a UTC hour or day: no leap seconds in JS time) holding `t`. */
const spanStart = (t: number, length: number): number => t - (((t % length) + length) % length)

let dayFrom = Number.NaN
let dayText = ''

/** UTC calendar day, `YYYY-MM-DD`: the lifetime of one visitor-hash salt. */
export const utcDay = (now: Date): string => {
  const t = now.getTime()
  if (t >= dayFrom && t < dayFrom + DAY_MS) return dayText
  const text = now.toISOString().slice(0, 10)
  dayFrom = spanStart(t, DAY_MS)
  dayText = text
  return text
}

let hourFrom = Number.NaN
let hourText = ''

/** UTC hour, `YYYY-MM-DD HH:00:00`: the only time resolution an event row keeps. */
export const utcHour = (now: Date): string => {
  const t = now.getTime()
  if (t >= hourFrom && t < hourFrom + HOUR_MS) return hourText
  const iso = now.toISOString()
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`
  hourFrom = spanStart(t, HOUR_MS)
  hourText = text
  return text
}
