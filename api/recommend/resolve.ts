import { ANY, DIMENSIONS, type Dimension, type Dims, LEVELS, segmentId } from '../../schemas/segments.ts'

/**
 * A visitor's segment, resolved on the server the way the insights job built the segments: the
 * visitor's own cell, then its coarsenings in the job's order (category, source, country, device
 * replaced by `*`). A dimension the visitor did not give can only be `*`, so levels that keep it
 * are skipped. The first step on the path that holds released figures for the offer wins; when
 * none does, the answer falls back to the site-wide total.
 */

export type Visitor = Partial<Dims>

export type Step = { id: string; dims: Dims; coarsened: readonly Dimension[] }

/** Every segment id the visitor could belong to, finest first. */
export function resolutionPath(visitor: Visitor): Step[] {
  const steps: Step[] = []
  for (const coarsened of LEVELS) {
    const kept = DIMENSIONS.filter((dim) => !coarsened.includes(dim))
    if (kept.some((dim) => visitor[dim] === undefined)) continue
    const dims = Object.fromEntries(
      DIMENSIONS.map((dim) => [dim, coarsened.includes(dim) ? ANY : (visitor[dim] as string)]),
    ) as Dims
    steps.push({ id: segmentId(dims, coarsened), dims, coarsened })
  }
  return steps
}

/** The first step of the path for which `released(id)` holds, or undefined: use the site-wide total. */
export function resolveSegment(visitor: Visitor, released: (id: string) => boolean): Step | undefined {
  return resolutionPath(visitor).find((step) => released(step.id))
}
