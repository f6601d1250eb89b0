import type { Random } from './random.js'

// Share of a day's visits in each UTC hour: quiet nights, a lunch bump, busy evenings.
const HOURS = [
  1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.4, 3.6, 4.2, 4.6, 5, 5.6, 5.4, 5, 5, 5.2, 5.6, 6.4, 7.2, 7.4, 6.4, 4.4,
  2.4,
]
const HOUR_TOTAL = HOURS.reduce((sum, weight) => sum + weight, 0)

/** Expected visits in one UTC hour: weekly rhythm, slow growth over the period, a little noise. */
export function visitsInHour(options: {
  at: Date
  dayIndex: number
  perDay: number
  random: Random
}): number {
  const weekday = options.at.getUTCDay()
  const week = weekday === 0 ? 0.82 : weekday === 6 ? 0.88 : weekday === 1 ? 1.08 : 1
  const growth = 1 + 0.012 * options.dayIndex
  const mean = (options.perDay * week * growth * (HOURS[options.at.getUTCHours()] ?? 1)) / HOUR_TOTAL
  const noisy = mean * (0.85 + 0.3 * options.random())
  return Math.floor(noisy) + (options.random() < noisy % 1 ? 1 : 0)
}
