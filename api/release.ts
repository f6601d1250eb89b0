/**
 * The k-anonymity gate. Every figure the read API releases passes through `release`: a group
 * (a row of a list, or a single object such as the overview) leaves the service only when at
 * least `k` distinct visitors stand behind it. Routes cannot skip it: `releasedRoute` calls it
 * on whatever a handler returns, and handlers must return rows that carry `visitors` and
 * `visitors_floor`.
 *
 * Why two counts: `visitors` is the figure shown, and once a day's sketches are finalized into
 * per-row counts, a group that pools several stored rows of that day (every source of a path,
 * say) adds them up, counting twice a visitor who sits in two of them. Shown, that upper bound
 * is documented; thresholded, it would let three people pass for six. `visitors_floor` is a
 * lower bound of the same figure (see DAY_VISITORS_FLOOR), and the gate tests the smaller of the
 * two. The floor is the gate's alone: `release` strips it from what it returns.
 */

/** Anything that may be released: a group of visitors and the figures that describe it. */
export type Group = {
  /** null (a figure the answer does not have) is never large enough: it fails closed. */
  readonly visitors: number | null
  readonly visitors_floor: number
}

/** A group as it is published: without the lower bound only the gate reads. */
export type Published<Row extends Group> = Omit<Row, 'visitors_floor'>

export type Released<Row extends Group> = { rows: Published<Row>[]; suppressed: number }

/**
 * Whether a group of `visitors` distinct visitors is large enough to show. A count that is not
 * a finite number is never large enough, so a broken query fails closed.
 */
export function meetsK(visitors: number, k: number): boolean {
  return Number.isFinite(visitors) && visitors >= k
}

/**
 * Whether `group` is large enough to show: the smaller of its shown count and its lower bound
 * must reach `k`, and both must be finite numbers (a missing one fails closed too).
 */
export function groupMeetsK(group: Group, k: number): boolean {
  const { visitors, visitors_floor: floor } = group
  if (visitors === null) return false
  return Number.isFinite(visitors) && Number.isFinite(floor) && meetsK(Math.min(visitors, floor), k)
}

/** The group without `visitors_floor`, which is never part of an answer. */
export function published<Row extends Group>(group: Row): Published<Row> {
  const { visitors_floor: _floor, ...rest } = group
  return rest
}

/** Keeps the groups of at least `k` visitors, as published, and counts the ones it held back. */
export function release<Row extends Group>(rows: readonly Row[], k: number): Released<Row> {
  const kept = rows.filter((row) => groupMeetsK(row, k))
  return { rows: kept.map(published), suppressed: rows.length - kept.length }
}
