import { AnswerMeta } from './answer-meta.ts'

/**
 * Answers serialised once. A `one` route's handler may hand out the same answer again and again
 * (cached per snapshot, say): `prepared` freezes it and keeps its JSON, and the route writes that
 * JSON with the gate's count and the answer's metadata appended instead of serialising the answer
 * on every call (`preparedBodies`). The text is the same as `JSON.stringify` of the whole would be.
 */

// The JSON of each prepared answer.
const PREPARED = new WeakMap<object, string>()
const META_FIELDS = ['suppressed', ...Object.keys(AnswerMeta.shape)]

/** `answer`, frozen, with its JSON kept (see above). */
export function prepared<Answer extends object>(answer: Answer): Readonly<Answer> {
  // An answer with a field of the metadata would have it replaced; it is serialised as it is.
  if (!META_FIELDS.some((field) => field in answer)) PREPARED.set(answer, JSON.stringify(answer))
  return Object.freeze(answer)
}

/**
 * The body of a `one` answer: `{ ...answer, suppressed, ...meta }` as JSON, from the prepared JSON
 * where the answer has one (the body kept per answer for its last count), serialised otherwise.
 */
export function preparedBodies(meta: object): (answer: object, suppressed: number | null) => string {
  // What follows an answer's own fields, by the count held back.
  const tails = new Map<number | null, string>()
  const bodies = new WeakMap<object, { suppressed: number | null; body: string }>()
  return (answer, suppressed) => {
    const json = PREPARED.get(answer)
    if (json === undefined) return JSON.stringify({ ...answer, suppressed, ...meta })
    const last = bodies.get(answer)
    if (last?.suppressed === suppressed) return last.body
    let tail = tails.get(suppressed)
    if (tail === undefined) {
      tail = JSON.stringify({ suppressed, ...meta }).slice(1)
      tails.set(suppressed, tail)
    }
    const body = json === '{}' ? `{${tail}` : `${json.slice(0, -1)},${tail}`
    bodies.set(answer, { suppressed, body })
    return body
  }
}
