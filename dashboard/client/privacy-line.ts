import type { AnswerMeta } from '../../api/answer-meta.ts'

/**
 * The line under the overview that says what protects the figures shown, from what the answer
 * itself states (api/answer-meta.ts), so the dashboard never claims more than the API does: a
 * view still served through the k gate says so, and names the guarantee it does not yet have.
 */
export function privacyLine(meta: Partial<AnswerMeta>, k: number): string {
  const { privacy, release } = meta
  if (!privacy) return ''
  if (privacy.mechanism === 'off') {
    return 'Noise is switched off (DP_EPSILON=off): these figures are not differentially private.'
  }
  const guarantee = `ε = ${privacy.epsilon}, δ = ${privacy.delta} per visitor-day`
  if (release === 'differential-privacy') {
    return `Differentially private figures: ${guarantee}.`
  }
  return `These figures hold back groups of fewer than ${k} visitors; they are not yet the differentially private release (${guarantee}).`
}
