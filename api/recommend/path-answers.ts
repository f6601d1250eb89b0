import { prepared } from '../prepared-answer.ts'
import { type ReleasedArm, recommendation } from './answer.ts'
import type { Recommendation } from './answer-schema.ts'
import type { Visitor } from './resolve.ts'
import { armsKey, type Candidate, SITE_SCOPE, type SnapshotIndex } from './snapshot-index.ts'
import { type RandomSource, thompsonAllocation, thompsonDraw } from './thompson.ts'

/**
 * The answers of one snapshot, built once per path and reused by every visitor on it. A visitor's
 * answer depends only on the offer and on which segments of their coarsening path the snapshot
 * holds (the first answers; all of them and the site-wide total are the gate's groups), so that
 * list is the key: bounded by the snapshot, whatever values visitors send. Built on first use for
 * the snapshot's lifetime, each serialised once (`prepared`); `choose=sample` draws its variant anew
 * on every call, from one prepared answer per variant.
 */

export type PathAnswer = {
  /** The candidate arms of every scope on the path, for the release gate. */
  groups: readonly Candidate[]
  /** The answer over the arms the gate released. */
  answer(released: readonly ReleasedArm[], choose: 'best' | 'sample'): Recommendation
}

export type AnswerOptions = {
  site: string
  level: number
  random: RandomSource
  /** The visitor's path, finest first (resolve.ts). */
  path(visitor: Visitor): Array<{ id: string }>
}

// Per snapshot: dropped with it when the cache replaces the snapshot. By path, and by visitor, so
// that a visitor seen before costs no resolution of their path. Visitors send what they like, so
// the second is bounded: emptied when it holds VISITORS_KEPT of them.
type Answers = { byPath: Map<string, PathAnswer>; byVisitor: Map<string, PathAnswer> }
const answersOf = new WeakMap<SnapshotIndex, Answers>()
const VISITORS_KEPT = 10_000

/** The cached answers of `offer` for `visitor` in `index` (see above). */
export function pathAnswer(
  index: SnapshotIndex,
  offer: string | null,
  visitor: Visitor,
  options: AnswerOptions,
): PathAnswer {
  let answers = answersOf.get(index)
  if (!answers) {
    answers = { byPath: new Map(), byVisitor: new Map() }
    answersOf.set(index, answers)
  }
  const { device, country, source, category } = visitor
  const visitorKey = JSON.stringify([options.level, offer, device, country, source, category])
  const seen = answers.byVisitor.get(visitorKey)
  if (seen) return seen
  const scopes: string[] = []
  if (offer !== null) {
    for (const step of options.path(visitor))
      if (index.arms.has(armsKey(step.id, offer))) scopes.push(step.id)
    scopes.push(SITE_SCOPE)
  }
  const key = `${options.level}\u0001${offer ?? ''}\u0001${scopes.join('\u0001')}`
  let cached = answers.byPath.get(key)
  if (!cached) {
    cached = build(index, offer, visitor, scopes, options)
    answers.byPath.set(key, cached)
  }
  if (answers.byVisitor.size >= VISITORS_KEPT) answers.byVisitor.clear()
  answers.byVisitor.set(visitorKey, cached)
  return cached
}

function build(
  index: SnapshotIndex,
  offer: string | null,
  visitor: Visitor,
  scopes: readonly string[],
  options: AnswerOptions,
): PathAnswer {
  // Frozen: the route releases the same list once (released-route.ts).
  const groups = Object.freeze(scopes.flatMap((scope) => index.arms.get(armsKey(scope, offer ?? '')) ?? []))
  // One answer per choose and per released set; the gate releases the same groups alike on every
  // call, so the count of released arms tells a stale entry (another K_ANON) from a good one.
  // choose=sample keeps one answer per variant it may draw: the draw is fresh on every call.
  type Entry = { answer: Recommendation; arms: readonly ReleasedArm[]; drawn: Recommendation[] }
  const answers = new Map<string, Entry>()
  const compute = (released: readonly ReleasedArm[], choose: 'best' | 'sample') => {
    const answer = recommendation({
      site: options.site,
      offer,
      visitor,
      released,
      level: options.level,
      choose,
      computedAt: index.computedAt,
      random: options.random,
      allocate: (scope, arms) => {
        // Every released arm of a scope is in `arms`, so the key names one set of arms per snapshot.
        const allocationKey = `${armsKey(scope, offer ?? '')}\u0000${arms.map((arm) => arm.variant).join('\u0000')}`
        let shares = index.allocations.get(allocationKey)
        if (!shares) {
          shares = thompsonAllocation(arms, options.random)
          index.allocations.set(allocationKey, shares)
        }
        return shares
      },
    })
    const scope = answer.segment.id ?? SITE_SCOPE
    return { answer: prepared(answer), arms: released.filter((arm) => arm.scope === scope), drawn: [] }
  }
  return {
    groups,
    answer(released, choose) {
      const key = `${choose}\u0000${released.length}`
      let entry = answers.get(key)
      if (!entry) {
        entry = compute(released, choose)
        answers.set(key, entry)
      }
      if (choose === 'best' || entry.arms.length === 0) return entry.answer
      const index = thompsonDraw(entry.arms, options.random)
      let drawn = entry.drawn[index]
      if (!drawn) {
        drawn = prepared({ ...entry.answer, variant: entry.arms[index]?.variant ?? null })
        entry.drawn[index] = drawn
      }
      return drawn
    },
  }
}
