import type { Hono } from 'hono'
import type { Logger } from '../core/logger.ts'
import { type Attempts, resolveToken } from '../core/tokens.ts'
import type { Config } from '../schemas/config.ts'
import { DEFAULT_INSIGHTS_WINDOW_DAYS } from '../schemas/constants.ts'
import { dashboardUiRoutes } from './routes.tsx'
import { fileSessionEpoch } from './session-epoch.ts'

export type DashboardDeps = {
  config: Pick<Config, 'dataDir' | 'kAnon' | 'sites' | 'tokens' | 'trustProxy' | 'privacy'>
  logger: Logger
  /** The app's own `request`: the dashboard reads its figures through the read API. */
  readApi: (path: string, init: RequestInit) => Response | Promise<Response>
  /** Throttles wrong tokens per client, shared with the read API. */
  attempts?: Attempts
}

/**
 * The dashboard at `/`, configured from the environment. It signs people in with the dashboard
 * token (`DASHBOARD_TOKEN`, or the one generated into `DATA_DIR` when that is unset, as the
 * read API does), and reads the insights with the recommendation service's token, server-side.
 */
export function dashboardRoutes({ config, logger, readApi, attempts }: DashboardDeps): Hono {
  const token = (configured: string | undefined, file: string) =>
    resolveToken({ configured, dataDir: config.dataDir, file, logger })
  return dashboardUiRoutes({
    token: token(config.tokens.dashboard, 'dashboard-token'),
    tokenHint: config.tokens.dashboard
      ? 'Sign in with the DASHBOARD_TOKEN Tally was started with.'
      : 'No DASHBOARD_TOKEN was set, so Tally generated one: it is in the file dashboard-token in its DATA_DIR.',
    apiToken: token(config.tokens.api, 'api-token'),
    insightsWindowDays: DEFAULT_INSIGHTS_WINDOW_DAYS,
    sites: [...config.sites.keys()],
    k: config.kAnon,
    releasedFigures: config.privacy.mechanism !== 'off',
    trustProxy: config.trustProxy,
    readApi,
    epoch: fileSessionEpoch(config.dataDir),
    attempts,
  })
}
