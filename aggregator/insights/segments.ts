import { type Dims, LEVELS, maskDims, segmentId } from '../../schemas/segments.ts'

/**
 * Segments for offer tuning: device × country × source × category of interest, coarsened until
 * each has at least k visitors.
 *
 * Coarsening replaces a dimension by `*` in a fixed order (category, then source, then country,
 * then device). A cell with k visitors or more is a segment of its own; the cells that are not
 * are pooled with their siblings at the next level, and so on up to `*` everywhere; what is
 * still under k there is not released. A coarse segment is thus "the rest": it pools only the
 * cells that were too small on their own, never a cell released separately, so no released
 * figure minus another reveals a small cell.
 *
 * Visitor counts are kept conservative, because they decide what may be released. Finalized
 * days (see finalize-sketches) know their visitors per stored row only, and the same visitor may
 * sit in several rows of a day (two categories, two sources). So a pool's visitors on a day are
 * taken as the sum over (device, country) of the largest count among its rows: device and
 * country are functions of the user agent and the address the visitor hash is made of, so one
 * hash never falls into two of them on one day, while within one (device, country) the largest
 * row is the most that can be proven distinct. Over several days the daily figures add up, as
 * everywhere in Tally (no hash links one day to the next). The result never exceeds the true
 * sum of daily unique visitors.
 */

export {
  ANY,
  DIMENSIONS,
  type Dimension,
  type Dims,
  LEVELS,
  maskDims,
  segmentId,
} from '../../schemas/segments.ts'

/** One stored count: the visitors of one row (or group of rows) on one day. */
export type DailyCount = { day: string; device: string; country: string; visitors: number }

/** A lower bound on the summed daily unique visitors of all `counts` together (see above). */
export function visitorsLowerBound(counts: Iterable<DailyCount>): number {
  const largest = new Map<string, number>()
  for (const { day, device, country, visitors } of counts) {
    const key = `${day}\u0000${device}\u0000${country}`
    largest.set(key, Math.max(largest.get(key) ?? 0, visitors))
  }
  let total = 0
  for (const visitors of largest.values()) total += visitors
  return total
}

/** A fine cell: its dimensions and its visitors per day. */
export type Cell = { site: string; dims: Dims; days: readonly DailyCount[] }

export type Segment = {
  site: string
  id: string
  dims: Dims
  visitors: number
  /** The keys (`cellKey`) of the fine cells pooled into this segment. */
  cells: string[]
}

export const cellKey = (site: string, dims: Dims): string => `${site}\u0000${segmentId(dims)}`

export type Coarsening = {
  segments: Segment[]
  /** Each released cell's segment, by `cellKey`. */
  segmentOf: Map<string, Segment>
  /** Cells still under k at `*` everywhere, and so not released. */
  suppressedCells: number
  /** The same cells counted per site. */
  heldCellsBySite: Map<string, number>
}

export function coarsen(cells: readonly Cell[], kAnon: number): Coarsening {
  const segments: Segment[] = []
  const segmentOf = new Map<string, Segment>()
  let pending = [...cells]
  for (const coarsened of LEVELS) {
    const pools = new Map<string, Cell[]>()
    for (const cell of pending) {
      const key = `${cell.site}\u0000${segmentId(cell.dims, coarsened)}`
      const pool = pools.get(key) ?? []
      pool.push(cell)
      pools.set(key, pool)
    }
    pending = []
    for (const pool of pools.values()) {
      const first = pool[0] as Cell
      const visitors = visitorsLowerBound(pool.flatMap((cell) => cell.days))
      if (visitors < kAnon) {
        pending.push(...pool)
        continue
      }
      const segment: Segment = {
        site: first.site,
        id: segmentId(first.dims, coarsened),
        dims: maskDims(first.dims, coarsened),
        visitors,
        cells: pool.map((cell) => cellKey(cell.site, cell.dims)),
      }
      segments.push(segment)
      for (const key of segment.cells) segmentOf.set(key, segment)
    }
  }
  segments.sort((x, y) => (x.site === y.site ? (x.id < y.id ? -1 : 1) : x.site < y.site ? -1 : 1))
  const heldCellsBySite = new Map<string, number>()
  for (const cell of pending) heldCellsBySite.set(cell.site, (heldCellsBySite.get(cell.site) ?? 0) + 1)
  return { segments, segmentOf, suppressedCells: pending.length, heldCellsBySite }
}
