import { createServer, type RequestListener, type ServerOptions } from 'node:http'
import type { NodeIngest } from '../collector/routes/event-node.ts'

/**
 * The `createServer` the Hono adapter is given: every request is offered to the collector's
 * `node:http` ingestion route first, and what it does not take goes to the app.
 */
export const ingestFirst = (ingest: NodeIngest): typeof createServer =>
  ((options: ServerOptions, app: RequestListener) =>
    createServer(options, (request, response) => {
      if (!ingest(request, response)) app(request, response)
    })) as typeof createServer
