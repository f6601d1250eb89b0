import { addDays, type CalendarGrain, periodEnd, periodStart } from '../../core/periods.ts'

/**
 * How a range of days is answered from released periods (docs/privacy.md, "Time grains"): the
 * whole calendar months inside it from `month` cells, the whole ISO weeks of what remains from
 * `week` cells, the days left over from `day` cells. A list's group that is small each day but
 * large over the range is then released where its week or month passes the threshold. Pure.
 */

/** One period of a tiling: its grain and first day (a Monday for a week, the 1st for a month). */
export type Tile = { grain: CalendarGrain; day: string }

const GRAINS: readonly CalendarGrain[] = ['month', 'week', 'day']

/**
 * The tiles of `from`..`to` (both included, `YYYY-MM-DD`), in order, using `grains` only (the
 * day is always among them). Each day of the range is in exactly one tile.
 */
export function tiles(from: string, to: string, grains: readonly CalendarGrain[] = GRAINS): Tile[] {
  if (from > to) return []
  const coarsest = GRAINS.find((grain) => grain !== 'day' && grains.includes(grain))
  if (!coarsest) {
    const days: Tile[] = []
    for (let day = from; day <= to; day = addDays(day, 1)) days.push({ grain: 'day', day })
    return days
  }
  const finer = grains.filter((grain) => grain !== coarsest)
  // The whole periods of the coarsest grain inside the range: consecutive, from the first that
  // starts on or after `from`; what lies before and after them goes to the finer grains.
  let first = periodStart(coarsest, from)
  if (first < from) first = addDays(periodEnd(coarsest, first), 1)
  const whole: Tile[] = []
  for (let day = first; periodEnd(coarsest, day) <= to; day = addDays(periodEnd(coarsest, day), 1))
    whole.push({ grain: coarsest, day })
  const last = whole.at(-1)
  if (!last) return tiles(from, to, finer)
  const end = periodEnd(coarsest, last.day)
  return [...tiles(from, addDays(first, -1), finer), ...whole, ...tiles(addDays(end, 1), to, finer)]
}

/**
 * The tiles of the range once the unpublished ones are split: a month or week not (yet)
 * published, the current one say, is answered by the smaller grains over its own days.
 */
export function publishedTiles(
  from: string,
  to: string,
  published: (tile: Tile) => boolean,
  grains: readonly CalendarGrain[] = GRAINS,
): Tile[] {
  return tiles(from, to, grains).flatMap((tile) => {
    if (tile.grain === 'day' || published(tile)) return [tile]
    const smaller = grains.filter((grain) => GRAINS.indexOf(grain) > GRAINS.indexOf(tile.grain))
    return publishedTiles(tile.day, periodEnd(tile.grain, tile.day), published, smaller)
  })
}

/** A tile's identity, as `grain|day`, to match released cells against. */
export const tileKey = (tile: Tile): string => `${tile.grain}|${tile.day}`
