import { z } from 'zod'
import { SOURCES } from '../schemas/constants.ts'
import { SiteId } from '../schemas/events.ts'
import { SegmentIdParam } from '../schemas/segment-id.ts'

/**
 * The query-string vocabulary of the read API, one zod schema per parameter. The same schemas
 * validate requests and generate the OpenAPI document.
 */

export const MAX_RANGE_DAYS = 400
export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000
// Dates outside this window are typing mistakes, and ClickHouse's Date would silently clamp them.
const EARLIEST = '2000-01-01'
const LATEST = '2099-12-31'

const DAY_MS = 86_400_000

export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)

export const addDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)

const isCalendarDate = (value: string) => {
  const time = Date.parse(`${value}T00:00:00Z`)
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value
}

export const UtcDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC date, YYYY-MM-DD')
  .refine(isCalendarDate, 'is not a calendar date')
  .refine((value) => value >= EARLIEST && value <= LATEST, `must be between ${EARLIEST} and ${LATEST}`)

export const Site = SiteId.describe('Site id, as configured in SITES.')

/**
 * A segment id as `/api/v1/segments` lists it: any id the insights job writes is accepted back,
 * including empty values (no country) and line separators stored in a category.
 */
export { SegmentIdParam }

export const Limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_LIMIT)
  .default(DEFAULT_LIMIT)
  .describe(`Most rows to return (after suppression), 1 to ${MAX_LIMIT}.`)

/** The dimensions a dashboard view may be narrowed by, each an exact match on its rollup column. */
export const FILTERS = {
  source: z.enum(SOURCES).describe('Traffic source class of the event.'),
  device: z.enum(['desktop', 'mobile', 'tablet', 'other']).describe('Device class.'),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE')
    .describe('Country, ISO 3166-1 alpha-2.'),
  category: z.string().min(1).max(128).describe('Product category of interest.'),
} as const

export type FilterName = keyof typeof FILTERS
export const FILTER_NAMES = Object.keys(FILTERS) as FilterName[]
export type Filters = { [Name in FilterName]?: string }

export type StatsQuery = { site: string; from: string; to: string } & Filters

/**
 * The query of a `/api/stats` view: site, an inclusive UTC date range, the filters its rollup
 * can answer, and the view's own parameters. Unknown parameters are refused rather than ignored,
 * so a misspelt filter never silently widens a figure.
 */
export function statsQuery<const Names extends readonly FilterName[], Extra extends z.ZodRawShape>(
  filters: Names,
  extra: Extra,
) {
  const filterShape = Object.fromEntries(filters.map((name) => [name, FILTERS[name].optional()])) as {
    [Name in Names[number]]: z.ZodOptional<(typeof FILTERS)[Name]>
  }
  return z
    .strictObject({
      site: Site,
      from: UtcDate.describe('First day, UTC, inclusive (YYYY-MM-DD).'),
      to: UtcDate.describe(`Last day, UTC, inclusive; a range spans at most ${MAX_RANGE_DAYS} days.`),
      ...filterShape,
      ...extra,
    })
    .superRefine((query, ctx) => {
      // The shape is generic here; the two fields it compares are always present.
      const { from, to } = query as { from: string; to: string }
      if (from > to) {
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' })
      } else if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) {
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: `the range may span at most ${MAX_RANGE_DAYS} days`,
        })
      }
    })
}

/** The query of a `/api/v1` read: a site and the read's own parameters. */
export function recoQuery<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.strictObject({ site: Site, ...extra })
}
