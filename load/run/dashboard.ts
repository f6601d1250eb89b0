import { type LoadRequest, type LoadResult, runLoad } from '../lib/http-load.ts'
import { DASHBOARD_ENDPOINTS, lastDays, probeReadApi, type ReadTarget, statsPath } from '../lib/read-api.ts'
import { heading, int, ms, num, table } from '../lib/report.ts'
import { statuses } from './format.ts'
import type { RunOptions } from './options.ts'

/** Concurrent dashboard users cycling through the read API's endpoints, over 7 and 30 days. */
export async function runDashboard(
  url: string,
  options: RunOptions,
  serverMode: boolean,
): Promise<LoadResult | { skipped: string }> {
  const seconds = num(options.dashboardSeconds, 'dashboard-seconds', 20)
  const users = num(options.dashboardUsers, 'dashboard-users', 20)
  heading(`dashboard: ${users} concurrent users for ${seconds} s`)
  const token = options.dashboardToken
  const target: ReadTarget = { url, token, site: options.site, ...lastDays(30) }
  const probe = await probeReadApi(target)
  if (!probe.available) {
    // Reads use {name:Type} query parameters, which arrived in ClickHouse 19.
    const hint = serverMode ? ' (the read API needs ClickHouse 19 or later; Debian ships 18.16)' : ''
    const skipped = `${probe.reason}${hint}`
    console.log(`  skipped: ${skipped}`)
    return { skipped }
  }
  let next = 0
  const result = await runLoad({
    label: 'dashboard',
    url,
    connections: users,
    seconds,
    maxSeconds: seconds + 30,
    next: (): LoadRequest => {
      const endpoint = DASHBOARD_ENDPOINTS[next++ % DASHBOARD_ENDPOINTS.length] ?? 'overview'
      const days = next % 2 === 0 ? 7 : 30
      return {
        method: 'GET',
        path: statsPath(endpoint, { ...target, ...lastDays(days) }),
        headers: { authorization: `Bearer ${token}` },
        kind: endpoint,
        expect: 200,
      }
    },
  })
  console.log(
    table([
      ['requests/s', 'p50', 'p95', 'p99', 'errors', 'statuses'],
      [
        int(result.requestsPerSecond),
        ms(result.latency.p50),
        ms(result.latency.p95),
        ms(result.latency.p99),
        String(result.errors + result.timeouts),
        statuses(result.statuses),
      ],
    ]),
  )
  return result
}
