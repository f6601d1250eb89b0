import type { Handler, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { z } from 'zod'
import type { Privacy } from '../schemas/privacy.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { releasedReader } from '../warehouse/released/reader.ts'
import { AnswerMeta, answerMeta } from './answer-meta.ts'
import { preparedBodies } from './prepared-answer.ts'
import { type Group, groupMeetsK, type Released, release } from './release.ts'
import { checkReleasedFilters, parseQuery, releasedFiltersOf } from './route-query.ts'
import type {
  BaseQuery,
  ListQuery,
  ListRouteSpec,
  ObjectRouteSpec,
  OneRouteSpec,
  ReadContext,
  ReleasedSpec,
  RowSchema,
} from './route-spec.ts'
import { snapshotAnswer } from './snapshot-answer.ts'

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
    const dpSnapshot = deps.privacy.mechanism !== 'off' && spec.snapshot === true
    const ctx: ReadContext = {
      warehouse: deps.warehouse,
      // A snapshot of released cells was thresholded when published: nothing to hold back.
      meetsK: dpSnapshot ? () => true : (group) => groupMeetsK(group, deps.k),
      recommendProbBest: deps.recommendProbBest,
      release: dpSnapshot ? 'differential-privacy' : 'k-threshold',
    }
    const snapshotMeta = answerMeta(deps.privacy, ctx.release)
    const oneBody = preparedBodies(kMeta)
    const snapshotOne = preparedBodies(snapshotMeta)
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
        if (dpSnapshot && spec.shape === 'one') {
          // Released cells were thresholded when published: the gate here only strips the floors
          // (K_ANON stays a floor), and nothing is counted as held back.
          const { groups, answer } = await spec.handler(query, ctx)
          return snapshotOne(answer(releaseOne(groups).rows) as object, null)
        }
        if (dpSnapshot && spec.shape !== 'one')
          return JSON.stringify(await snapshotAnswer(spec, query, ctx, snapshotMeta))
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
