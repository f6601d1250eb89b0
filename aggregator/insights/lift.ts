/**
 * Product affinity: "visitors who viewed A went on to view B" as lift,
 *
 *   lift(A → B) = P(next = B | from = A) / P(next = B)
 *               = (T(A→B) / T(A→·)) / (T(·→B) / T(·→·)),
 *
 * where T counts transitions. A lift above 1 means B follows A more often than B follows
 * anything: the signal, not just B's popularity.
 */

export function lift(pair: number, fromTotal: number, toTotal: number, total: number): number {
  if (pair <= 0 || fromTotal <= 0 || toTotal <= 0 || total <= 0) return 0
  return (pair / fromTotal) * (total / toTotal)
}

export type Transition = {
  site: string
  from: string
  to: string
  toCategory: string
  transitions: number
  visitors: number
}

export type Affinity = Transition & { rank: number; lift: number }

export const TOP_NEXT_PRODUCTS = 20

/** Whether a pair is ranked at all: `kAnon` visitors and at least one transition. */
export const releasablePair = (t: Transition, kAnon: number): boolean =>
  t.visitors >= kAnon && t.transitions > 0

/**
 * For each (site, product), its next products ranked by lift (then by transitions, then by id,
 * so ties are stable), at most `limit` of them. Pairs seen by fewer than `kAnon` visitors are
 * dropped first, and the totals the lift divides by are taken over the pairs that remain, so
 * every figure a row implies is made of releasable pairs only: a total that included a
 * suppressed pair would give its count away by difference.
 */
export function rankAffinities(
  transitions: readonly Transition[],
  kAnon: number,
  limit = TOP_NEXT_PRODUCTS,
): Affinity[] {
  const released = transitions.filter((t) => releasablePair(t, kAnon))
  const fromTotals = new Map<string, number>()
  const toTotals = new Map<string, number>()
  const siteTotals = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, by: number) => map.set(key, (map.get(key) ?? 0) + by)
  for (const t of released) {
    add(fromTotals, `${t.site}\u0000${t.from}`, t.transitions)
    add(toTotals, `${t.site}\u0000${t.to}`, t.transitions)
    add(siteTotals, t.site, t.transitions)
  }
  const byProduct = new Map<string, Affinity[]>()
  for (const t of released) {
    const key = `${t.site}\u0000${t.from}`
    const value = lift(
      t.transitions,
      fromTotals.get(key) ?? 0,
      toTotals.get(`${t.site}\u0000${t.to}`) ?? 0,
      siteTotals.get(t.site) ?? 0,
    )
    const candidates = byProduct.get(key) ?? []
    candidates.push({ ...t, lift: value, rank: 0 })
    byProduct.set(key, candidates)
  }
  const ranked: Affinity[] = []
  for (const candidates of byProduct.values()) {
    candidates.sort(
      (x, y) => y.lift - x.lift || y.transitions - x.transitions || (x.to < y.to ? -1 : x.to > y.to ? 1 : 0),
    )
    candidates.slice(0, limit).forEach((candidate, index) => {
      ranked.push({ ...candidate, rank: index + 1 })
    })
  }
  return ranked
}
