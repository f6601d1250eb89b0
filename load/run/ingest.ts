import { createTraffic, EVENT_MIX } from '../../demo/model/requests.js'
import { eventRequest, type LoadRequest, type LoadResult, runLoad } from '../lib/http-load.ts'
import { heading, int, ms, num, table } from '../lib/report.ts'
import { statuses } from './format.ts'
import type { RunOptions } from './options.ts'

export function announceIngest(options: RunOptions): void {
  const mix = Object.entries(EVENT_MIX)
    .map(([type, share]) => `${type} ${share}%`)
    .join(', ')
  heading(
    `ingest: ${int(options.events)} events from ${int(num(options.visitors, 'visitors', 0))} visitors, ${options.connections} connections, ${options.rate ? `${int(options.rate)} events/s` : 'as fast as answered'}`,
  )
  console.log(`  mix: ${mix}`)
}

/** The storefront's mixed events from many fake visitors, one event per request. */
export async function sendEvents(url: string, options: RunOptions): Promise<LoadResult> {
  const traffic = createTraffic({
    site: options.site,
    origin: options.origin,
    visitors: num(options.visitors, 'visitors', 20_000),
    seed: num(options.seed, 'seed', 1),
  })
  const result = await runLoad({
    label: 'ingest',
    url,
    connections: options.connections,
    amount: options.events,
    maxSeconds: options.maxSeconds,
    ...(options.rate ? { rate: options.rate } : {}),
    next: (): LoadRequest => eventRequest(traffic.next()),
  })
  printIngest(result)
  return result
}

function printIngest(result: LoadResult) {
  const accepted = result.statuses['202'] ?? 0
  console.log(
    table([
      ['events/s (202)', 'requests', 'p50', 'p90', 'p99', 'max', 'unexpected', 'errors', 'statuses'],
      [
        int(accepted / result.seconds),
        int(result.requests),
        ms(result.latency.p50),
        ms(result.latency.p90),
        ms(result.latency.p99),
        ms(result.latency.max),
        int(result.unexpected),
        int(result.errors + result.timeouts),
        statuses(result.statuses),
      ],
    ]),
  )
}
