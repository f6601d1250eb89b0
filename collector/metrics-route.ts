import { Hono } from 'hono'
import { adminOnly } from '../core/admin-access.ts'
import type { Metrics } from '../core/metrics.ts'

export type MetricsRouteOptions = {
  metrics: Metrics
  /**
   * ADMIN_TOKEN: when set, `/metrics` takes it as a bearer token (Prometheus sends it so); when
   * unset, only a direct caller on this machine gets an answer (core/admin-access.ts).
   */
  adminToken?: string | undefined
  /** The body; by default this process's series (a worker gathers every worker's). */
  render?: () => Promise<string>
}

/**
 * `GET /metrics` in Prometheus text format.
 *
 * @example
 * app.route('/', metricsRoute({ metrics, adminToken: config.tokens.admin }))
 */
export function metricsRoute({ metrics, adminToken, render }: MetricsRouteOptions): Hono {
  const routes = new Hono()
  routes.use('/metrics', adminOnly(adminToken))
  const body = render ?? (async () => metrics.render())
  routes.get('/metrics', async (c) =>
    c.text(await body(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }),
  )
  return routes
}
