import type { z } from 'zod'
import type { Release } from '../schemas/privacy.ts'
import type { Warehouse } from '../warehouse/client.ts'
import type { ReleasedFilterName, ReleasedReader } from '../warehouse/released/reader.ts'
import type { FilterName } from './params.ts'
import type { Group } from './release.ts'

/**
 * The shapes a read route is declared in (./released-route.ts builds and mounts them): what a
 * handler receives, the row schema it answers, and for each shape of answer (a list, named
 * objects, one object) the handler's contract. Types only.
 */

export type ReadContext = {
  warehouse: Warehouse
  /** The k test for figures derived from a group (a rate over a step, say): same rule as rows. */
  meetsK(group: Group): boolean
  /** RECOMMEND_PROB_BEST: the P(best) at which /api/v1/recommend says `recommended`. */
  recommendProbBest: number
  /** The insights snapshots a `snapshot` route may read: those of the service's release mode. */
  release: Release
}

export type RowSchema = z.ZodType<{ visitors: number | null }>
/** A row as a handler returns it: the published row and the lower bound the gate tests. */
export type Gated<Row extends RowSchema> = z.infer<Row> & { readonly visitors_floor: number }
export type BaseQuery = { site: string }
export type ListQuery = BaseQuery & { limit?: number | undefined }

export type RouteBase<Query> = {
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
    groups: ReadonlyArray<Group & { readonly visitors_floor: number }>
    answer(released: Array<Omit<Group, 'visitors_floor'>>): Answer
  }>
  released?: ReleasedSpec<Query, Answer>
}
