import { type Figure, noiseOf, shown } from '../warehouse/released/figures.ts'
import { keyParts, type ReleasedRange, releasedFilter } from '../warehouse/released/reader.ts'
import type { StatsQuery } from './params.ts'

/**
 * The list views as post-processing of released cells (what `ReleasedReader.byKey` sums over the
 * range's days): one row per cell key, each figure shown as a non-negative integer with the
 * standard deviation of its noise in `sd`, ratios taken from the summed released values (never
 * from rounded ones) and clamped to their range. A row whose shown visitors are 0 is left out: a
 * released cell whose noisy sum came out at nothing says nothing a reader could use.
 *
 * Rows are ordered as the k-gate queries order them (api/queries/*), on the figures shown.
 */

/** Figures per cell key and measure, as `ReleasedReader.byKey` returns them. */
export type Sums = ReadonlyMap<string, ReadonlyMap<string, Figure>>

type Sd = Record<string, number>

/** The range and the one filter of a stats query, as the reader takes them. */
export const releasedRange = (query: StatsQuery): ReleasedRange => ({
  site: query.site,
  from: query.from,
  to: query.to,
  filter: releasedFilter(query),
})

/** A ratio of two released sums and the first-order standard deviation of its noise. */
export function ratio(part: Figure | undefined, whole: Figure | undefined): Figure {
  const p = part?.value ?? 0
  const w = whole?.value ?? 0
  // A sum whose noise took it to nothing or below has no share to give.
  if (w <= 0) return { value: 0, stddev: 0 }
  const value = p / w
  // Independent draws: Var(P/W) ≈ (σ_P² + (P/W)² σ_W²) / W² (the delta method).
  const stddev = Math.sqrt((part?.stddev ?? 0) ** 2 + value ** 2 * (whole?.stddev ?? 0) ** 2) / w
  return { value, stddev }
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value))
const roundTo = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places

/** A share between 0 and 1, to `places` decimals, and its noise to as many. */
export function share(part: Figure | undefined, whole: Figure | undefined, places = 4): Figure {
  const { value, stddev } = ratio(part, whole)
  return { value: roundTo(clamp(value, 0, 1), places), stddev: roundTo(stddev, places) }
}

/** One released cell key: its key columns and its figures by measure. */
export type ReleasedKey = { key: [string, string, string]; figure(measure: string): Figure | undefined }

/** Every cell key of `sums`, for a view to turn into its rows. */
export const releasedKeys = (sums: Sums): ReleasedKey[] =>
  [...sums].map(([key, measures]) => ({ key: keyParts(key), figure: (measure) => measures.get(measure) }))

/**
 * `shown` figures named as the row names them, with their noise: `{pageviews: 'pageviews'}` reads
 * the `pageviews` measure; `{visits: 'entries'}` shows the `entries` measure as `visits`.
 */
export function counts<Name extends string>(
  cell: ReleasedKey,
  names: Record<Name, string>,
): { figures: Record<Name, number>; sd: Sd } {
  const figures = {} as Record<Name, number>
  const sd: Sd = {}
  for (const [name, measure] of Object.entries(names) as Array<[Name, string]>) {
    const figure = cell.figure(measure)
    figures[name] = shown(figure)
    sd[name] = noiseOf(figure)
  }
  return { figures, sd }
}

/**
 * Rows largest first by `figures` in turn, then by `key` (byte order, as ClickHouse sorts); rows
 * whose `visitors`, or any of `required`, are 0 are left out.
 */
export function ordered<Row extends { visitors: number }>(
  rows: readonly Row[],
  figures: ReadonlyArray<keyof Row>,
  key: keyof Row,
  required: ReadonlyArray<keyof Row> = [],
): Row[] {
  return rows
    .filter((row) => row.visitors > 0 && required.every((name) => Number(row[name]) > 0))
    .sort((a, b) => {
      for (const name of figures) {
        const difference = Number(b[name]) - Number(a[name])
        if (difference !== 0) return difference
      }
      const x = String(a[key])
      const y = String(b[key])
      return x < y ? -1 : x > y ? 1 : 0
    })
}

export type PageviewListRow = { value: string; pageviews: number; visitors: number; sd: Sd }

/**
 * The pageview lists (pages, sources, devices, browsers, OS, countries): pageviews and visitors
 * per value of the cell key's first column, ordered by `order` first as the k-gate query is.
 */
export function pageviewList(sums: Sums, order: 'pageviews' | 'visitors'): PageviewListRow[] {
  const rows = releasedKeys(sums).map((cell) => {
    const { figures, sd } = counts(cell, { pageviews: 'pageviews', visitors: 'visitors' })
    return { value: cell.key[0], ...figures, sd }
  })
  return ordered(rows, order === 'pageviews' ? ['pageviews', 'visitors'] : ['visitors', 'pageviews'], 'value')
}
