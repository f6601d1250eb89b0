import { z } from 'zod'
import type { RouteDoc } from './released-route.ts'

/** A group of routes as the document lists them: a prefix, the token it needs, its routes. */
export type ApiSection = {
  prefix: string
  security: string
  tag: string
  routes: readonly { doc: RouteDoc }[]
}

const ErrorBody = z.object({
  error: z.string().describe('Stable code: invalid, unknown_site, unsupported_filter, unauthorized, …'),
  message: z.string(),
  field: z.string().optional().describe('The query parameter at fault.'),
})

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

/** OpenAPI 3.0, generated from the zod schemas that validate the queries and type the rows. */
export function openApiDocument(sections: readonly ApiSection[]) {
  const paths: Record<string, unknown> = {}
  for (const section of sections) {
    for (const { doc } of section.routes) {
      const query = jsonSchema(doc.query, 'input') as {
        properties?: Record<string, Record<string, unknown>>
        required?: string[]
      }
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
          tags: [section.tag],
          summary: doc.summary,
          description: doc.description,
          security: [{ [section.security]: [] }],
          parameters,
          responses: {
            200: {
              description: 'Released figures; groups under K_ANON visitors are held back and counted.',
              content: { 'application/json': { schema: jsonSchema(doc.response, 'output') } },
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
    openapi: '3.0.3',
    info: {
      title: 'Tally read API',
      version: '1',
      description:
        'Aggregate figures only. Every group of fewer than K_ANON distinct visitors is held back and counted in `suppressed`. Visitors over a range are the sum of daily unique visitors; for days older than yesterday, a group that spans several stored rows shows an upper bound, and is held back by a lower bound.',
    },
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        sections.map((section) => [section.security, { type: 'http', scheme: 'bearer' }]),
      ),
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
    },
  }
}
