import { type Latency, percentiles } from './http-load.ts'

/**
 * The read API (`GET /api/stats/*`, issue 4) as the dashboard calls it. It may not exist in the
 * build being measured: `probe` says so, with the reason, instead of failing the run.
 */

export const DASHBOARD_ENDPOINTS = ['overview', 'pages', 'funnel', 'offers'] as const

export type ReadTarget = { url: string; token: string; site: string; from: string; to: string }

export const statsPath = (endpoint: string, target: ReadTarget): string =>
  `/api/stats/${endpoint}?site=${encodeURIComponent(target.site)}&from=${target.from}&to=${target.to}`

export const utcDate = (date: Date): string => date.toISOString().slice(0, 10)

/** The last `days` UTC days, today included. */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  return { from: utcDate(new Date(now.getTime() - (days - 1) * 86_400_000)), to: utcDate(now) }
}

export async function probeReadApi(
  target: ReadTarget,
): Promise<{ available: true } | { available: false; reason: string }> {
  let response: Response
  try {
    response = await fetch(`${target.url}${statsPath('overview', target)}`, {
      headers: { authorization: `Bearer ${target.token}` },
    })
  } catch (error) {
    return { available: false, reason: `the instance did not answer: ${String(error)}` }
  }
  const text = await response.text()
  if (response.status === 404) {
    return {
      available: false,
      reason: 'GET /api/stats/overview answers 404: this build has no read API (issue 4) mounted yet',
    }
  }
  if (response.status === 401 || response.status === 403) {
    return {
      available: false,
      reason: `GET /api/stats/overview answers ${response.status}: the token is not accepted (DASHBOARD_TOKEN)`,
    }
  }
  if (response.status !== 200) {
    return {
      available: false,
      reason: `GET /api/stats/overview answers ${response.status}: ${text.slice(0, 200)}`,
    }
  }
  return { available: true }
}

export type EndpointTiming = {
  endpoint: string
  requests: number
  statuses: Record<string, number>
  /** Milliseconds, one request at a time. */
  latency: Latency
  /** Rows in the last answer (lists), to show the query had data to read. */
  rows: number | undefined
}

/** Each endpoint `requests` times, one request at a time after `warmup` unmeasured ones. */
export async function timeEndpoints(
  target: ReadTarget,
  options: { requests: number; warmup: number; endpoints?: readonly string[] },
): Promise<EndpointTiming[]> {
  const results: EndpointTiming[] = []
  for (const endpoint of options.endpoints ?? DASHBOARD_ENDPOINTS) {
    const url = `${target.url}${statsPath(endpoint, target)}`
    const headers = { authorization: `Bearer ${target.token}` }
    const samples = new Float64Array(options.requests)
    const statuses: Record<string, number> = {}
    let rows: number | undefined
    for (let i = -options.warmup; i < options.requests; i++) {
      const started = performance.now()
      const response = await fetch(url, { headers })
      const text = await response.text()
      const elapsed = performance.now() - started
      if (i < 0) continue
      samples[i] = elapsed
      statuses[response.status] = (statuses[response.status] ?? 0) + 1
      if (i === options.requests - 1) {
        try {
          const body = JSON.parse(text) as { rows?: unknown[] }
          rows = Array.isArray(body.rows) ? body.rows.length : undefined
        } catch {
          rows = undefined
        }
      }
    }
    results.push({ endpoint, requests: options.requests, statuses, latency: percentiles(samples), rows })
  }
  return results
}
