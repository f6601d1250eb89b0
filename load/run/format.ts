import { int } from '../lib/report.ts'

export function statuses(map: Record<string, number>): string {
  return Object.entries(map)
    .map(([status, count]) => `${status}×${int(count)}`)
    .join(' ')
}

export function signed(value: number): string {
  return value === 0 ? '0' : value > 0 ? `+${int(value)}` : `-${int(-value)}`
}
