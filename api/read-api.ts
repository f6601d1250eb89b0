import { Hono, type MiddlewareHandler } from 'hono'
import type { Logger } from '../core/logger.ts'
import { type Attempts, bearerAuth, resolveToken } from '../core/tokens.ts'
import type { Config } from '../schemas/config.ts'
import type { Warehouse } from '../warehouse/client.ts'
import { type ApiSection, openApiDocument } from './openapi.ts'
import { RECO_ROUTES } from './reco-routes.ts'
import { recommendRoute } from './recommend/recommend-route.ts'
import { type NodeRoute, releasedNodeRoute } from './released-node.ts'
import { releasedAnswerer, releasedRouter } from './released-route.ts'
import { statsRoutes } from './stats-routes.ts'

export type ReadApiDeps = {
  config: Pick<
    Config,
    'currencies' | 'dataDir' | 'kAnon' | 'privacy' | 'recommendProbBest' | 'sites' | 'tokens'
  >
  warehouse: Warehouse
  logger: Logger
  /** The collector's live count of recent visitors per site (`/api/stats/now`); none counts nobody. */
  visitorsNow?: (site: string) => number
  /** Throttles wrong bearer tokens per client (composed by the server, which knows the client). */
  attempts?: Attempts
  /** Runs around `GET /api/v1/recommend`, which `first` serves ahead of the server's middleware. */
  aroundFirst?: MiddlewareHandler
  /** The headers `aroundFirst` adds to a JSON answer of `GET /api/v1/recommend`, for `nodeFirst`. */
  firstHeaders?: Readonly<Record<string, string>>
}

export const RECOMMEND_PATH = '/api/v1/recommend'

/**
 * The read side: `/api/stats/*` for the dashboard (DASHBOARD_TOKEN), `/api/v1/*` for the
 * recommendation service (API_TOKEN), and `/api/openapi.json`, public, describing both.
 *
 * `first` holds `GET /api/v1/recommend` alone, for the server to mount ahead of its app-wide
 * middleware: it is called on every page view of the shop and needs none of it but
 * `aroundFirst` (the security headers). Its token check runs for that path only; every other
 * path passes through it untouched to `routes`, whose own check it meets there. `nodeFirst` is
 * the same route on node:http (released-node.ts), for the server to try before the app: it
 * answers the calls it can answer exactly as `first` would and leaves the others to it.
 */
export function readApiRoutes(deps: ReadApiDeps): { first: Hono; routes: Hono; nodeFirst: NodeRoute } {
  const { config, warehouse, logger } = deps
  const routerDeps = {
    warehouse,
    k: config.kAnon,
    sites: config.sites,
    recommendProbBest: config.recommendProbBest,
    privacy: config.privacy,
  }
  const token = (configured: string | undefined, file: string) =>
    resolveToken({ configured, dataDir: config.dataDir, file, logger })
  const stats = statsRoutes(config.currencies, deps.visitorsNow)
  const sections: ApiSection[] = [
    {
      prefix: '/api/stats',
      security: 'dashboardToken',
      tag: 'dashboard',
      operationPrefix: 'stats',
      routes: stats,
    },
    {
      prefix: '/api/v1',
      security: 'apiToken',
      tag: 'recommendations',
      operationPrefix: 'v1',
      routes: RECO_ROUTES,
    },
  ]
  const document = openApiDocument(sections)
  const apiToken = token(config.tokens.api, 'api-token')
  const recommendAuth = bearerAuth(apiToken, 'tally-api', deps.attempts)
  const around: MiddlewareHandler = deps.aroundFirst ?? ((_c, next) => next())
  const recommendGate: MiddlewareHandler = (c, next) =>
    c.req.path === RECOMMEND_PATH
      ? around(c, async () => {
          const refused = await recommendAuth(c, next)
          if (refused) c.res = refused
        })
      : next()
  const first = new Hono().route('/api/v1', releasedRouter([recommendRoute], recommendGate, routerDeps))
  const routes = new Hono()
    .route(
      '/api/stats',
      releasedRouter(
        stats,
        bearerAuth(token(config.tokens.dashboard, 'dashboard-token'), 'tally-dashboard', deps.attempts),
        routerDeps,
      ),
    )
    .route(
      '/api/v1',
      releasedRouter(
        RECO_ROUTES.filter((route) => route !== recommendRoute),
        bearerAuth(apiToken, 'tally-api', deps.attempts),
        routerDeps,
      ),
    )
    .get('/api/openapi.json', (c) => c.json(document))
  const nodeFirst = releasedNodeRoute({
    path: RECOMMEND_PATH,
    answerer: releasedAnswerer(recommendRoute, routerDeps),
    token: apiToken,
    attempts: deps.attempts,
    headers: deps.firstHeaders ?? {},
  })
  return { first, routes, nodeFirst }
}
