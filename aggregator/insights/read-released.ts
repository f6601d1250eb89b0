import { DEVICES, type SegmentDevice } from '../../schemas/constants.ts'
import { ANY } from '../../schemas/segment-id.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { releasedSites } from '../../warehouse/released/cells.ts'
import type { Figure } from '../../warehouse/released/figures.ts'
import { keyParts, releasedReader } from '../../warehouse/released/reader.ts'
import type { Transition } from './lift.ts'
import type { Window } from './read.ts'
import type { ReleasedArm } from './released-offers.ts'

/**
 * The insights job's reads when DP is on: released cells only, through the same reader as the
 * read API (warehouse/released/reader.ts), so a snapshot is a post-processing of what was
 * published. A window is read as its whole published periods: the arms are published per ISO
 * week, so a window of 30 days holds its four or so closed weeks.
 */

const ZERO: Figure = { value: 0, stddev: 0 }

export async function readReleasedArms(warehouse: Warehouse, window: Window): Promise<ReleasedArm[]> {
  const reader = releasedReader(warehouse)
  const sites = await releasedSites(warehouse, { measurement: 'offer_arms', ...window })
  const levels: SegmentDevice[] = [ANY, ...DEVICES]
  const arms: ReleasedArm[] = []
  for (const site of sites) {
    for (const device of levels) {
      const filter = device === ANY ? null : { name: 'device' as const, value: device }
      const cells = await reader.byKey('offer_arms', { site, ...window, filter })
      for (const [key, measures] of cells) {
        const [offerId, variant] = keyParts(key)
        arms.push({
          site,
          device,
          offerId,
          variant,
          exposed: measures.get('exposed') ?? ZERO,
          converted: measures.get('converted') ?? ZERO,
        })
      }
    }
  }
  return arms
}

/** Released transitions with their noise, for the affinities. */
export type ReleasedTransition = Transition & { transitionsSd: number; visitorsSd: number }

export async function readReleasedTransitions(
  warehouse: Warehouse,
  window: Window,
): Promise<ReleasedTransition[]> {
  const reader = releasedReader(warehouse)
  const sites = await releasedSites(warehouse, { measurement: 'transitions', ...window })
  const transitions: ReleasedTransition[] = []
  for (const site of sites) {
    const cells = await reader.byKey('transitions', { site, ...window, filter: null })
    for (const [key, measures] of cells) {
      const [from, to, toCategory] = keyParts(key)
      const pairs = measures.get('transitions') ?? ZERO
      const visitors = measures.get('visitors') ?? ZERO
      transitions.push({
        site,
        from,
        to,
        toCategory,
        transitions: Math.max(0, Math.round(pairs.value)),
        visitors: Math.max(0, Math.round(visitors.value)),
        transitionsSd: pairs.stddev,
        visitorsSd: visitors.stddev,
      })
    }
  }
  return transitions
}
