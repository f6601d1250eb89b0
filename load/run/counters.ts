import { parseMetrics, type Tally } from '../lib/instance.ts'
import { type RunOptions, runningWarehouse } from './options.ts'
import { eventsByType, withWarehouse } from './warehouse.ts'

/** What the instance says it counted; taken before and after the load and compared. */
export type Counters = { metrics?: Map<string, number>; warehouse?: Map<string, number> }

/** `tally` when this run started the instance; otherwise it is reached at `url`. */
export async function readCounters(
  url: string,
  tally: Tally | undefined,
  options: RunOptions,
): Promise<Counters> {
  const result: Counters = {}
  const metrics = tally ? await tally.metrics().catch(() => undefined) : await scrape(url, options.adminToken)
  if (metrics) result.metrics = metrics
  const running = tally ? undefined : runningWarehouse(options)
  if (running) {
    result.warehouse = await withWarehouse(running, (warehouse) => eventsByType(warehouse, options.site))
  }
  return result
}

async function scrape(url: string, token: string | undefined): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(
      `${url}/metrics`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    )
    return response.ok ? parseMetrics(await response.text()) : undefined
  } catch {
    return undefined
  }
}

/** A counter's growth between two readings; undefined when the instance has no such counter. */
export function delta(
  after: Map<string, number> | undefined,
  before: Map<string, number> | undefined,
  name: string,
) {
  const value = after?.get(name)
  return value === undefined ? undefined : value - (before?.get(name) ?? 0)
}
