import { type HeldList, POOLED_SCOPE } from '../../schemas/held-back.ts'
import { releasablePair, type Transition } from './lift.ts'
import type { Coarsening, Segment } from './segments.ts'

/**
 * What an insights snapshot held back, as counts written beside it (reco_held_back, migration
 * 0040) so that /api/v1 can add them to `suppressed`: how many groups, never which. A count is
 * only attached to a scope whose id the snapshot publishes anyway (a written segment, a product
 * with a written pair); everything else is pooled per site, so no row names a held-back group.
 */

export type HeldBack = { site: string; list: HeldList; scope: string; held: number }

/**
 * One `segments` row per site that had any cell (zero included, so every snapshot of a site has
 * a row to be found by), one `offers` row per segment with held variants, and `affinity` rows per
 * product with a written pair plus one pooled row per site; zero counts other than the first are
 * left out.
 */
export function heldBack(input: {
  sites: Iterable<string>
  coarsening: Coarsening
  heldArms: ReadonlyMap<Segment, number>
  transitions: readonly Transition[]
  kAnon: number
}): HeldBack[] {
  const rows: HeldBack[] = []
  const sites = new Set(input.sites)
  for (const site of [...sites].sort()) {
    rows.push({ site, list: 'segments', scope: '', held: input.coarsening.heldCellsBySite.get(site) ?? 0 })
  }
  for (const [segment, held] of input.heldArms) {
    if (held > 0) rows.push({ site: segment.site, list: 'offers', scope: segment.id, held })
  }
  const key = (site: string, product: string) => `${site}\u0000${product}`
  const written = new Set<string>()
  for (const t of input.transitions) if (releasablePair(t, input.kAnon)) written.add(key(t.site, t.from))
  const byProduct = new Map<string, HeldBack>()
  for (const t of input.transitions) {
    if (releasablePair(t, input.kAnon)) continue
    const scope = written.has(key(t.site, t.from)) ? t.from : POOLED_SCOPE
    const id = key(t.site, scope)
    const row = byProduct.get(id) ?? { site: t.site, list: 'affinity', scope, held: 0 }
    row.held++
    byProduct.set(id, row)
  }
  rows.push(...byProduct.values())
  return rows
}
