import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { demoShopRoutes } from '../collector/beacon/demo-routes.ts'
import type { Collector } from '../collector/collector.ts'
import { createErrorHandler } from './errors.ts'
import { type HealthDeps, healthRoutes } from './health.ts'
import type { Logger } from './logger.ts'
import { requestLog } from './request-log.ts'

export type AppDeps = {
  logger: Logger
  collector: Collector
  health: HealthDeps
}

/** The whole HTTP surface, composed from each room's router. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  app.use(requestId())
  app.use(requestLog(deps.logger))
  app.onError(createErrorHandler(deps.logger))
  app.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  )
  app.route(
    '/',
    healthRoutes({ ...deps.health, checks: [...(deps.health.checks ?? []), deps.collector.health] }),
  )
  app.route('/', deps.collector.routes)
  app.route('/', demoShopRoutes())
  app.get('/', (c) => c.redirect('/demo-shop'))
  return app
}
