import type { Handler, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { z } from 'zod'
import { AppError, zodErrorBody } from '../core/errors.ts'
import type { Privacy } from '../schemas/privacy.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { AnswerMeta, answerMeta } from './answer-meta.ts'
import { FILTER_NAMES, type FilterName } from './params.ts'
import { preparedBodies } from './prepared-answer.ts'
import { type Group, groupMeetsK, type Released, release } from './release.ts'
import { type ReleasedFilterName, type ReleasedReader, releasedReader } from './released-reader.ts'

/**
 * The only way to declare a read-API route. `releasedRoute` takes a zod query schema, a zod row
 * schema whose rows carry `visitors`, and a handler that returns such rows plus their
 * `visitors_floor`; the HTTP handler it builds validates the query, runs the handler and passes
 * every row through `release`, which thresholds it and strips the floor, before anything is
 * serialised (the row schema describes the answer, so it has no `visitors_floor`).
 * `releasedRouter` mounts nothing else, and keeps a registry of the handlers it built so a test
 * can prove that every route under the read API is one of them.
 *
 * A route may also say how it answers from released figures alone (`released`): a handler that
 * receives a `ReleasedReader` (the `released` table, never the warehouse) and the filters the
 * released grouping sets answer. With differential privacy on (DP_EPSILON set), such a route
 * answers from it, says `release: "differential-privacy"`, and accepts one filter at a time; the
 * k gate is not applied again, since the publish job released only cells whose noisy visitors
 * passed the threshold (never below K_ANON). A route without it, or any route with DP_EPSILON=off,
 * answers from the rollups through the k gate and says `release: "k-threshold"`.
 */

export type ReadContext = {
  warehouse: Warehouse
  /** The k test for figures derived from a group (a rate over a step, say): same rule as rows. */
  meetsK(group: Group): boolean
  /** RECOMMEND_PROB_BEST: the P(best) at which /api/v1/recommend says `recommended`. */
  recommendProbBest: number
}

type RowSchema = z.ZodType<{ visitors: number | null }>
/** A row as a handler returns it: the published row and the lower bound the gate tests. */
type Gated<Row extends RowSchema> = z.infer<Row> & { readonly visitors_floor: number }
type BaseQuery = { site: string }
type ListQuery = BaseQuery & { limit?: number | undefined }

type RouteBase<Query> = {
  /** Path under the router's prefix, e.g. `/pages`. */
  path: `/${string}`
  summary: string
  description: string
  query: z.ZodType<Query>
  /** For dashboard views: the filters its rollup can answer; the others are refused by name. */
  filters?: readonly FilterName[]
}

/** How a route answers from released figures only (see above). */
export type ReleasedSpec<Query, Result> = {
  /** Filters its released grouping sets answer; at most one of them per request. */
  filters: readonly ReleasedFilterName[]
  /**
   * Where the filters depend on a parameter (`/sources?by=`): the filters for each of its values,
   * which replace `filters` for that value (stated in the OpenAPI document as well).
   */
  filtersBy?: { param: string; values: Readonly<Record<string, readonly ReleasedFilterName[]>> }
  handler(query: Query, released: ReleasedReader): Promise<Result>
}

export type ListRouteSpec<Query extends ListQuery, Row extends RowSchema> = RouteBase<Query> & {
  shape: 'list'
  row: Row
  /**
   * The rows to pass through the gate; or those with `heldBack`, the groups already held back
   * upstream (the insights job keeps only their number), which `suppressed` counts as well.
   */
  handler(
    query: Query,
    ctx: ReadContext,
  ): Promise<Array<Gated<Row>> | { rows: Array<Gated<Row>>; heldBack: number }>
  /** Rows in the order to show, every one released; the route applies `limit`. */
  released?: ReleasedSpec<Query, Array<z.infer<Row>>>
}

export type ObjectRouteSpec<
  Query extends BaseQuery,
  Row extends RowSchema,
  Name extends string,
> = RouteBase<Query> & {
  shape: 'object'
  row: Row
  /** The named groups the response holds, e.g. `current` and `previous`; each is released alone. */
  names: readonly [Name, ...Name[]]
  handler(query: Query, ctx: ReadContext): Promise<Record<Name, Gated<Row> | null>>
  released?: ReleasedSpec<Query, Record<Name, z.infer<Row> | null>>
}

/**
 * A route that answers one object computed from released groups: the handler names the groups
 * the answer may use and how to make it; the gate releases each group alone, and only the
 * released ones reach `answer`.
 */
export type OneRouteSpec<
  Query extends BaseQuery,
  Group extends { visitors: number },
  Answer,
> = RouteBase<Query> & {
  shape: 'one'
  /** The answer's schema; it carries no figure that is not made of released groups. */
  row: z.ZodType<Answer>
  handler(
    query: Query,
    ctx: ReadContext,
  ): Promise<{
    groups: ReadonlyArray<Group & { readonly visitors_floor: number }>
    answer(released: Array<Omit<Group, 'visitors_floor'>>): Answer
  }>
  released?: ReleasedSpec<Query, Answer>
}

/** What the OpenAPI document needs to know about a route. */
export type RouteDoc = {
  path: string
  summary: string
  description: string
  query: z.ZodType
  response: z.ZodType
  shape: 'list' | 'object' | 'one'
  /** The row schema (the answer's, for `one`); the document names it. */
  row: z.ZodType
  /** For `object`: the named groups. */
  names?: readonly string[]
  /** Whether the route answers from released figures when DP is on (`release: "differential-privacy"`). */
  released: boolean
  /** The filters its released form answers, one at a time (empty when it has none or takes none). */
  releasedFilters: readonly string[]
  /** Filters of the released form by the value of one parameter, where they depend on it. */
  releasedFiltersBy?: ReleasedSpec<unknown, unknown>['filtersBy']
}

export type RouterDeps = {
  warehouse: Warehouse
  k: number
  sites: ReadonlyMap<string, unknown>
  recommendProbBest: number
  /** The configured guarantee of released figures, stated on every answer. */
  privacy: Privacy
}

declare const brand: unique symbol
/** A declared route; only `releasedRoute` makes them and only `releasedRouter` mounts them. */
export type ReleasedRoute = { readonly doc: RouteDoc; readonly [brand]: true }

/**
 * A route built over its dependencies, apart from any framework: `parse` reads the query from the
 * request's parameters (each name with its values, as `c.req.queries()` gives them) and throws an
 * AppError on bad input; `answer` is the JSON of the answer, or throws as the route does. The
 * Hono handler `releasedRouter` mounts and the node:http route of released-node.ts both call it.
 */
export type ReleasedAnswerer = {
  parse(parameters: Record<string, string[]>): BaseQuery
  answer(query: BaseQuery): Promise<string>
}

/** Every answer of the read API is computed per request and per token: never stored by a cache. */
export const ANSWER_CACHE_CONTROL = 'private, no-store'
const JSON_TYPE = { 'Content-Type': 'application/json' }

const BUILDERS = new WeakMap<ReleasedRoute, (deps: RouterDeps) => ReleasedAnswerer>()
const RELEASED_HANDLERS = new WeakSet<object>()

/** `route` over `deps`, as `releasedRouter` serves it (see ReleasedAnswerer). */
export function releasedAnswerer(route: ReleasedRoute, deps: RouterDeps): ReleasedAnswerer {
  const build = BUILDERS.get(route)
  if (!build) throw new Error(`${route.doc.path} was not declared with releasedRoute`)
  return build(deps)
}

/** Whether `handler` was built by `releasedRoute`: the test over `app.routes` asks this. */
export const isReleasedHandler = (handler: unknown): boolean =>
  typeof handler === 'function' && RELEASED_HANDLERS.has(handler)

export function releasedRoute<Query extends ListQuery, Row extends RowSchema>(
  spec: ListRouteSpec<Query, Row>,
): ReleasedRoute
export function releasedRoute<Query extends BaseQuery, Row extends RowSchema, Name extends string>(
  spec: ObjectRouteSpec<Query, Row, Name>,
): ReleasedRoute
export function releasedRoute<Query extends BaseQuery, Group extends { visitors: number }, Answer>(
  spec: OneRouteSpec<Query, Group, Answer>,
): ReleasedRoute
export function releasedRoute(
  spec:
    | ListRouteSpec<ListQuery, RowSchema>
    | ObjectRouteSpec<BaseQuery, RowSchema, string>
    | OneRouteSpec<BaseQuery, { visitors: number }, unknown>,
): ReleasedRoute {
  const suppressed = z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe(
      'Groups held back: fewer than K_ANON visitors. null on a differentially private answer: groups whose noisy visitors missed the release threshold were never published, so how many there were is not known.',
    )
  const figures =
    spec.shape === 'list'
      ? z.object({ rows: z.array(spec.row), suppressed })
      : spec.shape === 'object'
        ? z.object({
            ...Object.fromEntries(spec.names.map((name) => [name, spec.row.nullable()])),
            suppressed,
          })
        : z.intersection(spec.row, z.object({ suppressed }))
  // The whole answer: its figures and what every answer states (answer-meta.ts).
  const response = z.intersection(figures, AnswerMeta)
  const route = {
    doc: {
      path: spec.path,
      summary: spec.summary,
      description: spec.description,
      query: spec.query,
      response,
      shape: spec.shape,
      row: spec.row,
      ...(spec.shape === 'object' ? { names: spec.names } : {}),
      released: spec.released !== undefined,
      releasedFilters: spec.released?.filters ?? [],
      ...(spec.released?.filtersBy ? { releasedFiltersBy: spec.released.filtersBy } : {}),
    },
  } as unknown as ReleasedRoute

  BUILDERS.set(route, (deps) => {
    const reader = releasedReader(deps.warehouse)
    const dp = deps.privacy.mechanism !== 'off' && spec.released !== undefined
    const kMeta = answerMeta(deps.privacy, 'k-threshold')
    const ctx: ReadContext = {
      warehouse: deps.warehouse,
      meetsK: (group) => groupMeetsK(group, deps.k),
      recommendProbBest: deps.recommendProbBest,
    }
    const oneBody = preparedBodies(kMeta)
    // A frozen list of groups (one a handler keeps and hands out again) is released once.
    const releasedLists = new WeakMap<object, Released<Group>>()
    const releaseOne = <Row extends Group>(groups: readonly Row[]): Released<Row> => {
      if (!Object.isFrozen(groups)) return release(groups, deps.k)
      let released = releasedLists.get(groups) as Released<Row> | undefined
      if (!released) {
        released = release(groups, deps.k)
        releasedLists.set(groups, released)
      }
      return released
    }
    return {
      parse: (given) => parseQuery(given, spec, deps.sites),
      answer: async (query) => {
        if (dp && spec.released) {
          checkReleasedFilters(spec.path, query, releasedFiltersOf(spec.released, query))
          const meta = answerMeta(deps.privacy, 'differential-privacy')
          const result = await spec.released.handler(query, reader)
          if (spec.shape === 'list') {
            const rows = result as unknown[]
            const limit = (query as ListQuery).limit ?? rows.length
            return JSON.stringify({ rows: rows.slice(0, limit), suppressed: null, ...meta })
          }
          return JSON.stringify({ ...(result as object), suppressed: null, ...meta })
        }
        if (spec.shape === 'list') {
          const answer = await spec.handler(query as ListQuery, ctx)
          const [rows, upstream] = Array.isArray(answer) ? [answer, 0] : [answer.rows, answer.heldBack]
          const released = release(rows, deps.k)
          const limit = (query as ListQuery).limit ?? released.rows.length
          const suppressed =
            released.suppressed + (Number.isSafeInteger(upstream) && upstream > 0 ? upstream : 0)
          return JSON.stringify({ rows: released.rows.slice(0, limit), suppressed, ...kMeta })
        }
        if (spec.shape === 'one') {
          const { groups, answer } = await spec.handler(query, ctx)
          const released = releaseOne(groups)
          return oneBody(answer(released.rows) as object, released.suppressed)
        }
        const groups = await spec.handler(query, ctx)
        const body: Record<string, unknown> = {}
        let held = 0
        for (const name of spec.names) {
          const group = groups[name]
          const released = release(group ? [group] : [], deps.k)
          body[name] = released.rows[0] ?? null
          held += released.suppressed
        }
        body.suppressed = held
        return JSON.stringify({ ...body, ...kMeta })
      },
    }
  })
  return route
}

/**
 * A router of released routes behind `auth`. Routes are given up front and mounted here, so the
 * router has no way to receive a handler that did not come from `releasedRoute`.
 */
export function releasedRouter(
  routes: readonly ReleasedRoute[],
  auth: MiddlewareHandler,
  deps: RouterDeps,
): Hono {
  const router = new Hono()
  router.use('*', auth)
  for (const route of routes) {
    const answerer = releasedAnswerer(route, deps)
    const handler: Handler = async (c) => {
      const query = answerer.parse(c.req.queries())
      c.header('Cache-Control', ANSWER_CACHE_CONTROL)
      return c.body(await answerer.answer(query), 200, JSON_TYPE)
    }
    RELEASED_HANDLERS.add(handler)
    router.get(route.doc.path, handler)
  }
  return router
}

function parseQuery<Query extends BaseQuery>(
  parameters: Record<string, string[]>,
  spec: RouteBase<Query>,
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
function releasedFiltersOf(
  released: ReleasedSpec<never, unknown>,
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
function checkReleasedFilters(path: string, query: object, filters: readonly ReleasedFilterName[]): void {
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
