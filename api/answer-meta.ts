import { z } from 'zod'

/**
 * What every read-API answer carries besides its figures, attached in this one place:
 * released-route.ts spreads `answerMeta()` into every body it sends, and openapi.ts adds
 * `AnswerMeta` to every response schema. A field that every answer states (the privacy
 * parameters of the release, say) is one line here and one in `answerMeta`.
 */
export const AnswerMeta = z.object({})

export type AnswerMeta = z.infer<typeof AnswerMeta>

/** The metadata of an answer of the read API (see above). */
export function answerMeta(): AnswerMeta {
  return {}
}
