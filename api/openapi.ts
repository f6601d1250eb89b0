import { z } from 'zod'
import { AnswerMeta } from './answer-meta.ts'
import * as ENGAGEMENT_ROWS from './engagement-rows.ts'
import { HealthStatus, INPUT_SCHEMAS, SERVICE_PATHS } from './openapi-service.ts'
import { AllocationShare, Decision, Recommendation, ResolvedSegment } from './recommend/answer-schema.ts'
import type { RouteDoc } from './released-route.ts'
import * as ROWS from './rows.ts'

/** A group of routes as the document lists them: a prefix, the token it needs, its routes. */
export type ApiSection = {
  prefix: string
  security: string
  tag: string
  /** Operation ids are this prefix and the route's path, e.g. `stats` + `/pages` = `statsPages`. */
  operationPrefix: string
  routes: readonly { doc: RouteDoc }[]
}

const ErrorBody = z.object({
  error: z
    .string()
    .describe('Stable code: invalid, unknown_site, unsupported_filter, unauthorized, not_ready, …'),
  message: z.string(),
  field: z.string().optional().describe('The parameter or body field at fault.'),
})

const Suppressed = z
  .number()
  .int()
  .min(0)
  .nullable()
  .describe(
    'Groups held back: fewer than K_ANON visitors. null on a differentially private answer: groups whose noisy visitors missed the release threshold were never published, so how many there were is not known.',
  )

/**
 * The named schemas of `components.schemas`: every row of rows.ts under its export name, the
 * recommendation's parts, the closed sets, the error body. A schema used inside another is
 * referenced by name, never repeated.
 */
function namedSchemas(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>()
  for (const [name, value] of [...Object.entries(ROWS), ...Object.entries(ENGAGEMENT_ROWS)]) {
    if (value instanceof z.ZodType) names.set(value, name)
  }
  const more: Record<string, z.ZodType> = {
    Recommendation,
    ResolvedSegment,
    AllocationShare,
    Decision,
    Error: ErrorBody,
    Suppressed,
    HealthStatus,
  }
  for (const [name, schema] of Object.entries(more)) names.set(schema, name)
  return names
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

type JsonSchema = Record<string, unknown>

function componentSchemas(names: ReadonlyMap<z.ZodType, string>): Record<string, JsonSchema> {
  const output = z.registry<{ id: string }>()
  for (const [schema, id] of names) output.add(schema, { id })
  const input = z.registry<{ id: string }>()
  for (const [id, schema] of Object.entries(INPUT_SCHEMAS)) input.add(schema, { id })
  const convert = (registry: typeof output, io: 'input' | 'output') =>
    z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    }).schemas as Record<string, JsonSchema>
  const all = { ...convert(output, 'output'), ...convert(input, 'input') }
  // Inside components, a schema's `$schema` and `$id` would re-base its references.
  return Object.fromEntries(
    Object.entries(all)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([name, { $schema: _s, $id: _i, ...schema }]) => [name, schema]),
  )
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
})

const operationId = (prefix: string, path: string) =>
  prefix +
  path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('')

// The metadata every answer carries (answer-meta.ts), as schema properties.
const meta = z.toJSONSchema(AnswerMeta, { target: 'draft-2020-12' }) as {
  properties?: JsonSchema
  required?: string[]
}

/** The 200 body of a read-API route: its rows by name, `suppressed`, the answer's metadata. */
function responseSchema(doc: RouteDoc, rowName: (schema: z.ZodType) => JsonSchema): JsonSchema {
  const envelope = (properties: JsonSchema, required: string[]) => ({
    type: 'object',
    properties: { ...properties, suppressed: ref('Suppressed'), ...meta.properties },
    required: [...required, 'suppressed', ...(meta.required ?? [])],
  })
  if (doc.shape === 'list') return envelope({ rows: { type: 'array', items: rowName(doc.row) } }, ['rows'])
  if (doc.shape === 'object') {
    const names = doc.names ?? []
    return envelope(
      Object.fromEntries(names.map((name) => [name, { oneOf: [rowName(doc.row), { type: 'null' }] }])),
      [...names],
    )
  }
  return { allOf: [rowName(doc.row), envelope({}, [])] }
}

/**
 * The service's OpenAPI 3.1 document, generated from the zod schemas that validate the queries
 * and type the answers, plus the routes outside the read API (openapi-service.ts).
 */
export function openApiDocument(sections: readonly ApiSection[]) {
  const names = namedSchemas()
  const rowName = (schema: z.ZodType): JsonSchema => {
    const name = names.get(schema)
    if (!name) throw new Error('every row of the read API needs a named schema (rows.ts)')
    return ref(name)
  }
  const paths: Record<string, unknown> = {}
  for (const section of sections) {
    for (const { doc } of section.routes) {
      const query = z.toJSONSchema(doc.query, {
        target: 'draft-2020-12',
        io: 'input',
        unrepresentable: 'any',
      }) as { properties?: Record<string, JsonSchema>; required?: string[] }
      const parameters = Object.entries(query.properties ?? {}).map(([name, schema]) => {
        const { description, ...rest } = schema
        return {
          name,
          in: 'query',
          required: query.required?.includes(name) ?? false,
          ...(description ? { description } : {}),
          schema: rest,
        }
      })
      paths[`${section.prefix}${doc.path}`] = {
        get: {
          operationId: operationId(section.operationPrefix, doc.path),
          tags: [section.tag],
          summary: doc.summary,
          description: doc.description,
          security: [{ [section.security]: [] }],
          parameters,
          // With DP on (docs/privacy.md), a route with a released form answers from it and takes
          // only these filters, one at a time; without this key it is always served by the k gate.
          ...(doc.released ? { 'x-released-filters': [...doc.releasedFilters] } : {}),
          ...(doc.releasedFiltersBy ? { 'x-released-filters-by': doc.releasedFiltersBy } : {}),
          responses: {
            200: {
              description: 'Released figures; groups under K_ANON visitors are held back and counted.',
              content: { 'application/json': { schema: responseSchema(doc, rowName) } },
            },
            400: errorResponse('A parameter is missing, malformed or not supported; `field` names it.'),
            401: errorResponse('No valid bearer token.'),
            503: errorResponse('The figures have not been computed yet.'),
          },
        },
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tally',
      version: '1',
      description:
        'Privacy-preserving aggregate analytics: event intake for the beacon, and the read API (`/api/stats` for the dashboard, `/api/v1` for the recommendation service). Aggregate figures only: every group of fewer than K_ANON distinct visitors is held back and counted in `suppressed`. Visitors over a range are the sum of daily unique visitors; for days older than yesterday, a group that spans several stored rows shows an upper bound, and is held back by a lower bound.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [
      {
        url: '{origin}',
        description: 'Where Tally listens.',
        variables: { origin: { default: 'http://localhost:8787', description: 'Scheme, host and port.' } },
      },
    ],
    tags: [
      { name: 'recommendations', description: '`/api/v1`, for the recommendation service (API_TOKEN).' },
      { name: 'dashboard', description: '`/api/stats`, for the dashboard (DASHBOARD_TOKEN).' },
      { name: 'collector', description: 'Event intake and the beacon: public.' },
      { name: 'operations', description: 'Health, metrics and this document.' },
    ],
    paths: { ...paths, ...SERVICE_PATHS },
    components: {
      securitySchemes: {
        ...Object.fromEntries(
          sections.map((section) => [section.security, { type: 'http', scheme: 'bearer' }]),
        ),
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, when set.' },
      },
      schemas: componentSchemas(names),
    },
  }
}
