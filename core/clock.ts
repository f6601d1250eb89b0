// Both are read off the ISO form so the result is UTC whatever the process time zone is.

/** UTC calendar day, `YYYY-MM-DD`: the lifetime of one visitor-hash salt. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10)

/** UTC hour, `YYYY-MM-DD HH:00:00`: the only time resolution an event row keeps. */
export const utcHour = (now: Date): string => {
  const iso = now.toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`
}
