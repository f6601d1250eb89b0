import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { RECOMMEND_PATH, readApiRoutes } from '../api/read-api.ts'
import type { NodeRoute } from '../api/released-node.ts'
import { demoShopRoutes } from '../collector/beacon/demo-routes.ts'
import { clientIp } from '../collector/client-ip.ts'
import type { Collector } from '../collector/collector.ts'
import { clientPrefix } from '../collector/rate-limit.ts'
import { adminAllowed } from '../core/admin-access.ts'
import { createErrorHandler } from '../core/errors.ts'
import { logText } from '../core/log-text.ts'
import type { Logger } from '../core/logger.ts'
import { createFailureThrottle } from '../core/throttle.ts'
import type { Attempts } from '../core/tokens.ts'
import { dashboardRoutes } from '../dashboard/dashboard.ts'
import type { Config } from '../schemas/config.ts'
import type { Privacy } from '../schemas/privacy.ts'
import { type HealthDeps, healthRoutes } from './health.ts'
import { closeWhenBodyUnread } from './http-limits.ts'
import { requestLog } from './request-log.ts'
import { securityHeaders, securityHeadersFor } from './security-headers.ts'

export type AppDeps = {
  logger: Logger
  collector: Collector
  health: HealthDeps
  config: Config
}

/**
 * The app, and the routes on node:http the server tries before it (`ingestFirst`): the read API's
 * `GET /api/v1/recommend` (api/released-node.ts), which leaves to the app whatever it does not answer.
 */
export type App = Hono & { readonly nodeRoutes: readonly NodeRoute[] }

/** The whole HTTP surface, composed from each room's router. */
export function createApp(deps: AppDeps): App {
  const app = new Hono()
  // Wrong tokens, at the login form and as bearer tokens, count against one bucket per client
  // (its address, an IPv6 one by its /64), found as the collector finds a visitor's.
  const attempts: Attempts = {
    throttle: createFailureThrottle(),
    client: (c) =>
      clientPrefix(clientIp(() => peerAddress(c), c.req.raw.headers, deps.config.trustProxy)) || 'unknown',
  }
  const readApi = readApiRoutes({
    config: deps.config,
    warehouse: deps.health.warehouse,
    logger: deps.logger,
    attempts,
    aroundFirst: securityHeaders(),
    firstHeaders: securityHeadersFor(RECOMMEND_PATH, 'application/json'),
    visitorsNow: deps.collector.visitorsNow,
  })
  // First, so that the middleware below never runs for them: event intake (see Collector.ingest)
  // and GET /api/v1/recommend, called on every page view, which gets its security headers and
  // token check and nothing else (no request id, no log line per call).
  app.route('/', deps.collector.ingest)
  app.route('/', readApi.first)
  app.use(requestId())
  app.use(requestLog(deps.logger))
  app.use(securityHeaders())
  app.use(closeWhenBodyUnread())
  app.onError(createErrorHandler(deps.logger))
  app.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${logText(c.req.path)}` }, 404),
  )
  app.route(
    '/',
    healthRoutes({
      ...deps.health,
      checks: [...(deps.health.checks ?? []), deps.collector.health, privacyCheck(deps.config.privacy)],
      detail: adminAllowed(deps.config.tokens.admin),
    }),
  )
  app.route('/', deps.collector.routes)
  app.route('/', demoShopRoutes())
  app.route('/', readApi.routes)
  // The dashboard owns `/` and reads its figures through the read API above, in process.
  app.route(
    '/',
    dashboardRoutes({
      config: deps.config,
      logger: deps.logger,
      readApi: (path, init) => app.request(path, init),
      attempts,
    }),
  )
  return Object.assign(app, { nodeRoutes: [readApi.nodeFirst] })
}

/**
 * The guarantee of the released figures on /healthz. DP_EPSILON=off (never in production) makes
 * the service `degraded`, so that no dashboard of health checks can miss it.
 */
function privacyCheck(privacy: Privacy) {
  return () => ({
    name: 'privacy',
    status: privacy.mechanism === 'off' ? ('degraded' as const) : ('ok' as const),
    detail: privacy,
  })
}

// In-process requests (the dashboard's reads through the read API) have no socket.
const peerAddress = (c: Context): string | undefined => {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
