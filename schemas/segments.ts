/**
 * The grammar of offer segments, shared by the insights job that writes them and the read API
 * that resolves a visitor to one: device × country × source × category of interest, coarsened by
 * replacing dimensions with `*` in a fixed order (category, then source, then country, then
 * device). Ids read `device=mobile|country=DE|source=*|category=brakes`.
 */

export const DIMENSIONS = ['device', 'country', 'source', 'category'] as const
export type Dimension = (typeof DIMENSIONS)[number]
export type Dims = Record<Dimension, string>

export const ANY = '*'

/** What is replaced by `*` at each coarsening level, in order. */
export const LEVELS: readonly (readonly Dimension[])[] = [
  [],
  ['category'],
  ['category', 'source'],
  ['category', 'source', 'country'],
  ['category', 'source', 'country', 'device'],
]

// Values are stored scrubbed strings; the few characters the id is built from are escaped so an
// id always splits back into its four values, and a literal `*` never reads as "any".
const escapeValue = (value: string) =>
  value.replace(/[%|=*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)

/** `device=mobile|country=DE|source=*|category=brakes`. */
export function segmentId(dims: Dims, coarsened: readonly Dimension[] = []): string {
  return DIMENSIONS.map((dim) => `${dim}=${coarsened.includes(dim) ? ANY : escapeValue(dims[dim])}`).join('|')
}

export function maskDims(dims: Dims, coarsened: readonly Dimension[]): Dims {
  const masked = { ...dims }
  for (const dim of coarsened) masked[dim] = ANY
  return masked
}
