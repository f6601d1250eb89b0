import type { z } from 'zod'
import { AppError, zodErrorBody } from '../core/errors.ts'
import type { ReleasedFilterName } from '../warehouse/released/reader.ts'
import { FILTER_NAMES, type FilterName } from './params.ts'

/**
 * A read route's query as the route framework (./released-route.ts) takes it: parsed once against
 * its zod schema, refused by name when a parameter repeats, is unknown, or is a filter the route
 * (or its released form, one filter at a time) cannot answer.
 */

export function parseQuery<Query extends { site: string }>(
  parameters: Record<string, string[]>,
  spec: { path: string; query: z.ZodType<Query>; filters?: readonly FilterName[] | undefined },
  sites: ReadonlyMap<string, unknown>,
): Query {
  // A prototype-free object, so a parameter named `__proto__` is just an unknown parameter.
  const given: Record<string, string> = Object.create(null)
  for (const [name, values] of Object.entries(parameters)) {
    // Which of two values a layer reads differs between proxies, caches and frameworks: refuse both.
    if (values.length > 1) {
      throw new AppError(400, 'invalid', `${shortField(name)}: given more than once`, shortField(name))
    }
    given[name] = values[0] ?? ''
  }
  if (spec.filters) {
    for (const name of FILTER_NAMES) {
      if (name in given && !spec.filters.includes(name)) {
        const supported = spec.filters.length ? spec.filters.join(', ') : 'none'
        throw new AppError(
          400,
          'unsupported_filter',
          `${name}: ${spec.path.slice(1)} cannot be filtered by ${name} (supported: ${supported})`,
          name,
        )
      }
    }
  }
  const parsed = spec.query.safeParse(given)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    if (issue?.code === 'unrecognized_keys') {
      const name = shortField(issue.keys[0] ?? '')
      throw new AppError(400, 'invalid', `${name}: unknown parameter`, name)
    }
    const body = zodErrorBody(parsed.error)
    throw new AppError(400, body.error, body.message, body.field)
  }
  if (!sites.has(parsed.data.site)) {
    throw new AppError(400, 'unknown_site', 'site: not a configured site', 'site')
  }
  return parsed.data
}

/** The filters a released form answers for this query (`filtersBy` where it names the value). */
export function releasedFiltersOf(
  released: {
    filters: readonly ReleasedFilterName[]
    filtersBy?: { param: string; values: Readonly<Record<string, readonly ReleasedFilterName[]>> } | undefined
  },
  query: object,
): readonly ReleasedFilterName[] {
  const by = released.filtersBy
  const value = by ? (query as Record<string, unknown>)[by.param] : undefined
  return (typeof value === 'string' && by?.values[value]) || released.filters
}

/**
 * Released figures are published without filters and with one filter at a time (the grouping
 * sets of aggregator/release/measurements.ts): two filters at once, or one the route's released
 * figures do not hold, are refused by name rather than answered from something else.
 */
export function checkReleasedFilters(
  path: string,
  query: object,
  filters: readonly ReleasedFilterName[],
): void {
  const given = FILTER_NAMES.filter((name) => (query as Record<string, unknown>)[name] !== undefined)
  const view = path.slice(1)
  const supported = filters.length ? filters.join(', ') : 'none'
  for (const name of given) {
    if (!(filters as readonly string[]).includes(name)) {
      throw new AppError(
        400,
        'unsupported_filter',
        `${name}: the released figures of ${view} cannot be filtered by ${name} (supported: ${supported})`,
        name,
      )
    }
  }
  if (given.length > 1) {
    const second = given[1] as string
    throw new AppError(
      400,
      'unsupported_filter',
      `${second}: released figures answer one filter at a time (given: ${given.join(', ')})`,
      second,
    )
  }
}

// Parameter names come from the caller; a field name in a response should not carry a novel.
const shortField = (name: string) => name.slice(0, 64)
