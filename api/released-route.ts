import type { Context, Handler, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { z } from 'zod'
import type { Privacy } from '../schemas/privacy.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { type ReleasedFilterName, type ReleasedReader, releasedReader } from '../warehouse/released/reader.ts'
import { AnswerMeta, answerMeta } from './answer-meta.ts'
import type { FilterName } from './params.ts'
import type { SnapshotRelease } from './queries/common.ts'
import { type Group, groupMeetsK, release } from './release.ts'
import { checkReleasedFilters, parseQuery, releasedFiltersOf } from './route-query.ts'

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
  /** The insights snapshots a `snapshot` route may read: those of the service's release mode. */
  release: SnapshotRelease
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
  /**
   * The route reads the insights snapshots (reco_*). With DP on they hold only post-processed
   * released cells (aggregator/insights/snapshot.ts), and the route reads only those (`release`):
   * its rows are answered as released, without the k gate and with `suppressed: null`.
   */
  snapshot?: true
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
    groups: Array<Group & { readonly visitors_floor: number }>
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

const BUILDERS = new WeakMap<ReleasedRoute, (deps: RouterDeps) => Handler>()
const RELEASED_HANDLERS = new WeakSet<object>()

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
    const dpSnapshot = deps.privacy.mechanism !== 'off' && spec.snapshot === true
    return async (c: Context) => {
      const query = parseQuery(c, spec, deps.sites)
      c.header('Cache-Control', 'private, no-store')
      if (dp && spec.released) {
        checkReleasedFilters(spec.path, query, releasedFiltersOf(spec.released, query))
        const meta = answerMeta(deps.privacy, 'differential-privacy')
        const result = await spec.released.handler(query, reader)
        if (spec.shape === 'list') {
          const rows = result as unknown[]
          const limit = (query as ListQuery).limit ?? rows.length
          return c.json({ rows: rows.slice(0, limit), suppressed: null, ...meta })
        }
        return c.json({ ...(result as object), suppressed: null, ...meta })
      }
      const ctx: ReadContext = {
        warehouse: deps.warehouse,
        // A snapshot of released cells was thresholded when published: nothing to hold back.
        meetsK: dpSnapshot ? () => true : (group) => groupMeetsK(group, deps.k),
        recommendProbBest: deps.recommendProbBest,
        release: dpSnapshot ? 'differential-privacy' : 'k-threshold',
      }
      if (dpSnapshot)
        return c.json(await snapshotAnswer(spec, query, ctx, answerMeta(deps.privacy, ctx.release)))
      const meta = answerMeta(deps.privacy, 'k-threshold')
      if (spec.shape === 'list') {
        const answer = await spec.handler(query as ListQuery, ctx)
        const [rows, upstream] = Array.isArray(answer) ? [answer, 0] : [answer.rows, answer.heldBack]
        const released = release(rows, deps.k)
        const limit = (query as ListQuery).limit ?? released.rows.length
        const suppressed =
          released.suppressed + (Number.isSafeInteger(upstream) && upstream > 0 ? upstream : 0)
        return c.json({ rows: released.rows.slice(0, limit), suppressed, ...meta })
      }
      if (spec.shape === 'one') {
        const { groups, answer } = await spec.handler(query, ctx)
        const released = release(groups, deps.k)
        return c.json({
          ...(answer(released.rows) as object),
          suppressed: released.suppressed,
          ...meta,
        })
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
      return c.json({ ...body, ...meta })
    }
  })
  return route
}

/** A `snapshot` route's answer with DP on: its rows as read, minus the floor the gate would test. */
async function snapshotAnswer(
  spec:
    | ListRouteSpec<ListQuery, RowSchema>
    | ObjectRouteSpec<BaseQuery, RowSchema, string>
    | OneRouteSpec<BaseQuery, { visitors: number }, unknown>,
  query: ListQuery,
  ctx: ReadContext,
  meta: AnswerMeta,
): Promise<object> {
  const strip = <Row extends { visitors_floor?: number }>({ visitors_floor: _, ...row }: Row) => row
  if (spec.shape === 'list') {
    const answer = await spec.handler(query, ctx)
    const rows = (Array.isArray(answer) ? answer : answer.rows).map(strip)
    return { rows: rows.slice(0, query.limit ?? rows.length), suppressed: null, ...meta }
  }
  if (spec.shape === 'one') {
    const { groups, answer } = await spec.handler(query, ctx)
    return { ...(answer(groups.map(strip)) as object), suppressed: null, ...meta }
  }
  const groups = await spec.handler(query, ctx)
  const body = Object.fromEntries(spec.names.map((name) => [name, groups[name] ? strip(groups[name]) : null]))
  return { ...body, suppressed: null, ...meta }
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
    const build = BUILDERS.get(route)
    if (!build) throw new Error(`${route.doc.path} was not declared with releasedRoute`)
    const handler = build(deps)
    RELEASED_HANDLERS.add(handler)
    router.get(route.doc.path, handler)
  }
  return router
}
