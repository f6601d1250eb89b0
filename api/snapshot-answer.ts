import type { AnswerMeta } from './answer-meta.ts'
import type {
  BaseQuery,
  ListQuery,
  ListRouteSpec,
  ObjectRouteSpec,
  ReadContext,
  RowSchema,
} from './route-spec.ts'

/**
 * A `snapshot` list or object route's answer with DP on: its rows as read, minus the floor the gate
 * would test (a `one` route's is written by released-route.ts from its prepared body).
 */
export async function snapshotAnswer(
  spec: ListRouteSpec<ListQuery, RowSchema> | ObjectRouteSpec<BaseQuery, RowSchema, string>,
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
  const groups = await spec.handler(query, ctx)
  const body = Object.fromEntries(spec.names.map((name) => [name, groups[name] ? strip(groups[name]) : null]))
  return { ...body, suppressed: null, ...meta }
}
