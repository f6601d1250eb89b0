import { z } from 'zod'

/**
 * A segment id, `device=mobile|country=DE|source=*|category=brakes`: the one text form that the
 * insights job writes, `/api/v1/segments` lists and `/api/v1/offers?segment=` reads back. Both
 * sides use this file, so every id handed out is accepted back.
 *
 * A value is whatever the pipeline stored, the empty string included (a visitor whose address has
 * no country). The characters the id is built from (`%`, `|`, `=`, `*`) are escaped in values, so
 * an id always splits back into its four values and a literal `*` never reads as "any"; every
 * other character, line separators included, is kept as it was stored.
 */

export const SEGMENT_DIMENSIONS = ['device', 'country', 'source', 'category'] as const
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number]
export type SegmentValues = Record<SegmentDimension, string>

/** A coarsened dimension's value: any. */
export const ANY = '*'
/** Longest id accepted back: four values of at most 128 stored characters, each escaped at most threefold. */
export const MAX_SEGMENT_ID = 1600

export const escapeSegmentValue = (value: string): string =>
  value.replace(/[%|=*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)

/** The id of `values` with `coarsened` dimensions replaced by `*`. */
export function formatSegmentId(values: SegmentValues, coarsened: readonly SegmentDimension[] = []): string {
  return SEGMENT_DIMENSIONS.map(
    (dim) => `${dim}=${coarsened.includes(dim) ? ANY : escapeSegmentValue(values[dim])}`,
  ).join('|')
}

// `[^|]` rather than `.`: a value may hold any character but the separator, line breaks included.
const SEGMENT_ID = /^device=([^|]*)\|country=([^|]*)\|source=([^|]*)\|category=([^|]*)$/
const ESCAPED_VALUE = /^(?:[^%|=*]|%(?:25|7C|3D|2A))*$|^\*$/

/** The four values of an id as stored (`*` for a coarsened one), or null when it is not one. */
export function parseSegmentId(id: string): SegmentValues | null {
  const match = SEGMENT_ID.exec(id)
  if (!match) return null
  const [, ...values] = match as unknown as [string, string, string, string, string]
  if (!values.every((value) => ESCAPED_VALUE.test(value))) return null
  const decoded = values.map((value) =>
    value === ANY
      ? ANY
      : value.replace(/%(25|7C|3D|2A)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  )
  const [device = '', country = '', source = '', category = ''] = decoded
  return { device, country, source, category }
}

/** The `segment` query parameter: exactly the ids `formatSegmentId` writes. */
export const SegmentIdParam = z
  .string()
  .max(MAX_SEGMENT_ID)
  .refine(
    (id) => parseSegmentId(id) !== null,
    'must be a segment id such as device=mobile|country=DE|source=*|category=brakes',
  )
  .describe('Segment id, as listed by /api/v1/segments.')
