import type { ReleasedCell } from './cells.ts'

/**
 * Post-processing of released cells into the figures an answer shows. A range's figure is the
 * sum of its days' released values (visitors: the sum of daily unique visitors), its noise the
 * root of the sum of their variances (independent draws). Sums are taken before rounding and
 * clamping, which keeps them unbiased; a figure shown is then a non-negative integer.
 */

export type Figure = { value: number; stddev: number }

/** Figures per cell key (`k1`, `k2`, `k3`) and measure, summed over the days of the range. */
export function sumByKey(cells: readonly ReleasedCell[]): Map<string, Map<string, Figure>> {
  return sumBy(cells, (cell) => keyOf(cell))
}

/** Figures per day (`YYYY-MM-DD`) or hour (`YYYY-MM-DDTHH:00:00Z`) and measure, over the cell keys. */
export function sumByTime(
  cells: readonly ReleasedCell[],
  grain: 'day' | 'hour',
): Map<string, Map<string, Figure>> {
  return sumBy(cells, (cell) =>
    grain === 'day' ? cell.day : `${cell.day}T${String(cell.slot).padStart(2, '0')}:00:00Z`,
  )
}

export const keyOf = (cell: Pick<ReleasedCell, 'k1' | 'k2' | 'k3'>): string =>
  JSON.stringify([cell.k1, cell.k2, cell.k3])

function sumBy(
  cells: readonly ReleasedCell[],
  group: (cell: ReleasedCell) => string,
): Map<string, Map<string, Figure>> {
  const sums = new Map<string, Map<string, { value: number; variance: number }>>()
  for (const cell of cells) {
    const name = group(cell)
    const measures = sums.get(name) ?? new Map()
    const sum = measures.get(cell.measure) ?? { value: 0, variance: 0 }
    sum.value += cell.value
    sum.variance += cell.stddev * cell.stddev
    measures.set(cell.measure, sum)
    sums.set(name, measures)
  }
  return new Map(
    [...sums].map(([name, measures]) => [
      name,
      new Map(
        [...measures].map(([measure, sum]) => [
          measure,
          { value: sum.value, stddev: Math.sqrt(sum.variance) },
        ]),
      ),
    ]),
  )
}

/** A figure as shown: a non-negative integer (noise can take a small true count below zero). */
export const shown = (figure: Figure | undefined): number => Math.max(0, Math.round(figure?.value ?? 0))

/** The standard deviation published with a figure, rounded to a tenth. */
export const noiseOf = (figure: Figure | undefined): number => Math.round((figure?.stddev ?? 0) * 10) / 10
