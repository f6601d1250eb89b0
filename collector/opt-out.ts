/**
 * The one thing the privacy pipeline needs from a request's headers. Names are always asked for in
 * lower case, so a WHATWG `Headers` works as is and an adapter over Node's lower-cased
 * `IncomingHttpHeaders` needs no case folding.
 */
export type HeaderReader = { get(name: string): string | null | undefined }

/** Adapts a plain header record (Node's `IncomingHttpHeaders`, test fixtures) to a `HeaderReader`. */
export const headerRecord = (record: Record<string, string | string[] | undefined>): HeaderReader => {
  const lower = new Map<string, string>()
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue
    lower.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value)
  }
  return { get: (name) => lower.get(name.toLowerCase()) }
}

// Both signals are defined as the literal value "1"; anything else (including "0") is no signal.
const isOne = (value: string | null | undefined): boolean => value?.trim() === '1'

/** True when the visitor asked not to be tracked (Global Privacy Control or Do Not Track). */
export const isOptedOut = (headers: HeaderReader): boolean =>
  isOne(headers.get('sec-gpc')) || isOne(headers.get('dnt'))
