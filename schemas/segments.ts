/**
 * The grammar of offer segments, shared by the insights job that writes them and the read API
 * that resolves a visitor to one: device × country × source × category of interest, coarsened by
 * replacing dimensions with `*` in a fixed order (category, then source, then country, then
 * device). Ids read `device=mobile|country=DE|source=*|category=brakes`.
 */

import {
  ANY,
  formatSegmentId,
  SEGMENT_DIMENSIONS,
  type SegmentDimension,
  type SegmentValues,
} from './segment-id.ts'

export { ANY }
export const DIMENSIONS = SEGMENT_DIMENSIONS
export type Dimension = SegmentDimension
export type Dims = SegmentValues

/** What is replaced by `*` at each coarsening level, in order. */
export const LEVELS: readonly (readonly Dimension[])[] = [
  [],
  ['category'],
  ['category', 'source'],
  ['category', 'source', 'country'],
  ['category', 'source', 'country', 'device'],
]

/**
 * `device=mobile|country=DE|source=*|category=brakes`, in the one format the read API parses back
 * (segment-id.ts): values are escaped so an id always splits back into its four values, the empty
 * string included, and a literal `*` never reads as "any".
 */
export const segmentId = (dims: Dims, coarsened: readonly Dimension[] = []): string =>
  formatSegmentId(dims, coarsened)

export function maskDims(dims: Dims, coarsened: readonly Dimension[]): Dims {
  const masked = { ...dims }
  for (const dim of coarsened) masked[dim] = ANY
  return masked
}
