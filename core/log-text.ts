/**
 * Text that came with a request (a path, a `next` parameter, an error message) as it may be
 * logged: at most `max` characters, and every control, line-breaking or bidi-override character
 * written as `\uXXXX`, so a log line reads as one line in the order it was written and a request
 * cannot make the log large.
 */
export const MAX_LOGGED = 256

// C0, DEL and C1 controls, line and paragraph separators, and the bidi marks, embeddings,
// overrides and isolates.
const UNSAFE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu

export function logText(value: string, max = MAX_LOGGED): string {
  const cut = value.length > max ? `${value.slice(0, max).replace(/[\uD800-\uDBFF]$/, '')}…` : value
  return cut.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
