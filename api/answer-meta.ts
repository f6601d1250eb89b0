import { z } from 'zod'
import { Privacy, Release } from '../schemas/privacy.ts'

/**
 * What every read-API answer carries besides its figures, attached in this one place:
 * released-route.ts spreads `answerMeta()` into every body it sends, and openapi.ts adds
 * `AnswerMeta` to every response schema.
 *
 * `privacy` is the configured guarantee of the released figures (DP_EPSILON, DP_DELTA per
 * visitor-day; `mechanism: "off"` with a warning when noise is switched off). `release` says
 * whether this answer is made of those figures (`differential-privacy`) or is still served from
 * the rollups through the K_ANON gate (`k-threshold`), which the guarantee does not cover, so
 * that no answer claims a guarantee it lacks (docs/privacy.md, "Where the release boundary is").
 */
export const AnswerMeta = z.object({
  privacy: Privacy.describe('The guarantee of released figures, per visitor-day.'),
  release: Release,
})

export type AnswerMeta = z.infer<typeof AnswerMeta>

/** The metadata of an answer of the read API (see above). */
export function answerMeta(privacy: Privacy, release: Release): AnswerMeta {
  return { privacy, release }
}
