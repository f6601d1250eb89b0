import { createServer, type RequestListener, type ServerOptions } from 'node:http'
import type { NodeRoute } from '../api/released-node.ts'

/**
 * The `createServer` the Hono adapter is given: every request is offered to the node:http routes
 * first, in order (the collector's ingestion route, then the app's `nodeRoutes`), and what none
 * of them takes goes to the app; so does a request a route takes and then passes on.
 */
export const ingestFirst = (...routes: NodeRoute[]): typeof createServer =>
  ((options: ServerOptions, app: RequestListener) =>
    createServer(options, (request, response) => {
      const pass = () => app(request, response)
      for (const route of routes) if (route(request, response, pass)) return
      pass()
    })) as typeof createServer
