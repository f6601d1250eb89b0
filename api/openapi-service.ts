import { z } from 'zod'
import { Event, EventBatch } from '../schemas/events.ts'

/**
 * The routes of the service that are not read-API routes, as the OpenAPI document lists them:
 * event intake and the beacon (collector/), `/healthz` (server/), `/metrics`, and the document
 * itself. The read API cannot import those rooms, so they are described here; the test over the
 * served document checks that every route the app serves outside the dashboard's pages is listed.
 */

/** Request bodies, converted as inputs (defaults and coercions as a sender sees them). */
export const INPUT_SCHEMAS = {
  Event,
  EventBatch,
} as const

export const HealthStatus = z.object({
  status: z.enum(['ok', 'degraded']),
  warehouse: z.object({
    kind: z.enum(['embedded', 'server']),
    version: z.string().nullable(),
    reachable: z.boolean(),
  }),
  migrations: z.object({ current: z.number().int(), appliedAtStart: z.array(z.string()) }),
  checks: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['ok', 'degraded']),
      detail: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
})

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
})
const empty = (description: string) => ({ description })

/** Path items of the routes above, with operation ids and their own security. */
export const SERVICE_PATHS = {
  '/api/event': {
    post: {
      operationId: 'sendEvent',
      tags: ['collector'],
      summary: 'Send one event or a batch',
      description:
        'What the beacon sends: one event, or `{"events": [...]}`, as JSON or as the `text/plain` of `navigator.sendBeacon`. Opt-outs (`Sec-GPC: 1`, `DNT: 1`) and bots are dropped with 204 before the body is read. Unknown fields are dropped, never stored; the server stamps the time.',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { oneOf: [ref('Event'), ref('EventBatch')] } },
          'text/plain': { schema: { type: 'string', description: 'The same JSON, as sendBeacon sends it.' } },
        },
      },
      responses: {
        202: {
          description: 'Accepted: in the write-ahead log.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['accepted'],
                properties: { accepted: { type: 'integer', minimum: 0 } },
              },
            },
          },
        },
        204: empty('Dropped by policy (opt-out, bot): nothing of it is kept.'),
        400: errorResponse('The body is not a valid event; `field` names the first fault.'),
        408: errorResponse('The body arrived too slowly.'),
        413: errorResponse('The body is larger than 64 KiB.'),
        415: errorResponse('Neither application/json nor text/plain.'),
        429: errorResponse('Over the client’s rate limit (RATE_LIMIT); see Retry-After.'),
        503: errorResponse('The write-ahead log is full or cannot be written; see Retry-After.'),
      },
    },
  },
  '/beacon.js': {
    get: {
      operationId: 'getBeacon',
      tags: ['collector'],
      summary: 'The beacon script',
      description:
        'The browser script a storefront loads; it sends events to `/api/event`. Cached for a day, with an ETag.',
      security: [],
      responses: {
        200: {
          description: 'The script.',
          content: { 'application/javascript': { schema: { type: 'string' } } },
        },
        304: empty('Not modified (If-None-Match).'),
      },
    },
  },
  '/beacon-ga4.js': {
    get: {
      operationId: 'getGa4Bridge',
      tags: ['collector'],
      summary: 'The GA4 dataLayer bridge',
      description:
        'Loaded by the beacon only when its tag has `data-ecommerce="ga4"`: counts the GA4 and UA e-commerce events the page pushes into `dataLayer` (docs/ga4.md). Cached for a day, with an ETag.',
      security: [],
      responses: {
        200: {
          description: 'The script.',
          content: { 'application/javascript': { schema: { type: 'string' } } },
        },
        304: empty('Not modified (If-None-Match).'),
      },
    },
  },
  '/.well-known/gpc.json': {
    get: {
      operationId: 'getGpcSupport',
      tags: ['collector'],
      summary: 'Global Privacy Control support resource',
      security: [],
      responses: {
        200: {
          description: 'GPC is honoured.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['gpc'],
                properties: { gpc: { type: 'boolean' }, lastUpdate: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
  '/healthz': {
    get: {
      operationId: 'getHealth',
      tags: ['operations'],
      summary: 'Liveness and what an operator needs first',
      security: [],
      responses: {
        200: { description: 'Serving.', content: { 'application/json': { schema: ref('HealthStatus') } } },
        503: {
          description: 'The warehouse cannot be reached.',
          content: { 'application/json': { schema: ref('HealthStatus') } },
        },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description:
        'Every worker’s series, each with a `worker` label when WORKERS > 1. Behind ADMIN_TOKEN when one is set.',
      security: [{}, { adminToken: [] }],
      responses: {
        200: {
          description: 'Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: errorResponse('ADMIN_TOKEN is set and the request does not carry it.'),
      },
    },
  },
  '/api/openapi.json': {
    get: {
      operationId: 'getOpenApiDocument',
      tags: ['operations'],
      summary: 'This document',
      security: [],
      responses: {
        200: { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
} as const
