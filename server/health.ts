import { type Context, Hono } from 'hono'
import type { Warehouse } from '../warehouse/client.ts'
import type { MigrationReport } from '../warehouse/migrate.ts'

export type HealthDeps = {
  warehouse: Warehouse
  migrations: MigrationReport
  /** Why the warehouse is not usable yet (not reached, not migrated); undefined once it is. */
  notReady?: () => string | undefined
  /** Extra checks from other rooms (e.g. the collector's write buffer); `degraded` wins. */
  checks?: Array<() => { name: string; status: 'ok' | 'degraded'; detail?: Record<string, unknown> }>
  /** Whether a request may see the detail (the admin token; see core/admin-access.ts). */
  detail?: (c: Context) => boolean
}

/**
 * `GET /healthz`: liveness for anyone (`{status}`, 503 when the warehouse is unreachable), and for
 * an operator what to see first: the warehouse and its version, the migrations, the checks.
 */
export function healthRoutes(deps: HealthDeps): Hono {
  return new Hono().get('/healthz', async (c) => {
    const ping = await deps.warehouse.client.ping()
    const checks = (deps.checks ?? []).map((check) => check())
    const reason = deps.notReady?.()
    const degraded = !ping.success || reason !== undefined || checks.some((check) => check.status !== 'ok')
    if (!deps.detail?.(c)) return c.json({ status: degraded ? 'degraded' : 'ok' }, ping.success ? 200 : 503)
    return c.json(
      {
        status: degraded ? 'degraded' : 'ok',
        warehouse: {
          kind: deps.warehouse.kind,
          version: ping.success ? await deps.warehouse.version() : null,
          reachable: ping.success,
          ...(reason ? { reason } : !ping.success ? { reason: ping.error.message } : {}),
        },
        migrations: { current: deps.migrations.current, appliedAtStart: deps.migrations.applied },
        checks,
      },
      ping.success ? 200 : 503,
    )
  })
}
