import { PUBLISHED_PERIOD } from '../../schemas/constants.ts'
import type { Warehouse } from '../client.ts'
import { getReleased, type ReleasedCell, type ReleasedQuery } from './cells.ts'
import { type Figure, sumByKey, sumByTime } from './figures.ts'
import { publishedTiles, tileKey, tiles } from './tiles.ts'

/**
 * What a route answering from released figures may read, and nothing else: a released route's
 * handler receives a `ReleasedReader`, never the warehouse, so it cannot reach a rollup
 * (api/released-route.ts). Every method reads `released` through getReleased and sums cells,
 * which is post-processing: asking again, re-slicing or overlapping ranges costs no privacy.
 *
 * @example
 * const pages = await reader.byKey('pages', { site, from, to, filter: null })
 * for (const [key, measures] of pages) console.log(keyParts(key)[0], measures.get('visitors'))
 */

/** The filters released grouping sets answer: none, or one of these at a time. */
export const RELEASED_FILTERS = ['source', 'device', 'country'] as const
export type ReleasedFilterName = (typeof RELEASED_FILTERS)[number]
export type ReleasedFilter = { name: ReleasedFilterName; value: string } | null

export type ReleasedRange = { site: string; from: string; to: string; filter: ReleasedFilter }

export type ReleasedReader = {
  /**
   * Figures per cell key (see `keyParts`) and measure over the range: its whole published months
   * from month cells, whole published ISO weeks of the rest from week cells, the other days from
   * day cells (./tiles.ts), summed with their variances. A key held back in a tile
   * (below that period's threshold) adds nothing for it: a figure is then below the truth
   * (docs/privacy.md, "Time grains"). Measurements published per day only are read per day.
   */
  byKey(measurement: string, range: ReleasedRange): Promise<Map<string, Map<string, Figure>>>
  /** Figures per day (`YYYY-MM-DD`) or hour (`YYYY-MM-DDTHH:00:00Z`) and measure, over every key. */
  byTime(
    measurement: string,
    range: ReleasedRange,
    grain: 'day' | 'hour',
  ): Promise<Map<string, Map<string, Figure>>>
  /** The released cells themselves, for post-processing the two above do not cover. */
  cells(measurement: string, range: ReleasedRange, grain: 'day' | 'hour'): Promise<ReleasedCell[]>
}

/** The reader over one warehouse; it names only `released` (through getReleased). */
export function releasedReader(warehouse: Warehouse): ReleasedReader {
  const read = (measurement: string, range: ReleasedRange, grain: ReleasedQuery['grain']) =>
    getReleased(warehouse, {
      site: range.site,
      from: range.from,
      to: range.to,
      measurement,
      grain,
      grouping: range.filter?.name ?? '',
      groupingValue: range.filter?.value ?? '',
    })
  // The weeks and months inside the range for which `measurement` is published (never filtered).
  const publishedPeriods = async (measurement: string, range: ReleasedRange): Promise<Set<string>> => {
    const marks = await Promise.all(
      (['week', 'month'] as const).map(async (grain) =>
        (await read(PUBLISHED_PERIOD.measurement, { ...range, filter: null }, grain))
          .filter((cell) => cell.k1 === measurement)
          .map((cell) => `${grain}|${cell.day}`),
      ),
    )
    return new Set(marks.flat())
  }
  return {
    cells: read,
    byKey: async (measurement, range) => {
      const whole = tiles(range.from, range.to).some((tile) => tile.grain !== 'day')
      const published = whole ? await publishedPeriods(measurement, range) : new Set<string>()
      const chosen = publishedTiles(range.from, range.to, (tile) => published.has(tileKey(tile)))
      const wanted = new Set(chosen.map(tileKey))
      const grains = [...new Set(chosen.map((tile) => tile.grain))]
      const tileCells = await Promise.all(
        grains.map(async (grain) =>
          (await read(measurement, range, grain)).filter((cell) => wanted.has(`${grain}|${cell.day}`)),
        ),
      )
      return sumByKey(tileCells.flat())
    },
    byTime: async (measurement, range, grain) => sumByTime(await read(measurement, range, grain), grain),
  }
}

/** The cell key's columns (`k1`, `k2`, `k3`) from a key of `byKey`. */
export const keyParts = (key: string): [string, string, string] => JSON.parse(key) as [string, string, string]

/** The one filter of a query that released figures can answer, or null when it has none. */
export function releasedFilter(
  query: Partial<Record<ReleasedFilterName, string | undefined>>,
): ReleasedFilter {
  for (const name of RELEASED_FILTERS) {
    const value = query[name]
    if (value !== undefined) return { name, value }
  }
  return null
}
