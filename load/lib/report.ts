import { cpus, loadavg, totalmem } from 'node:os'

/** Formatting for the load scripts' console output. */

export const int = (value: number): string => Math.round(value).toLocaleString('en-US')
export const ms = (value: number): string => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** A plain text table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
  const [head, ...body] = rows
  if (!head) return ''
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n')
}

export const heading = (text: string): void => {
  process.stdout.write(`\n== ${text}\n`)
}

export type Machine = {
  date: string
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
  loadAverage: number[]
}

export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}

/** A numeric command-line value (`1_000_000` and `1e6` are fine). */
export function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value.replaceAll('_', ''))
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new Error(`--${name} must be a non-negative number, got "${value}"`)
  return parsed
}
