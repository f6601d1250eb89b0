import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { promisify } from 'node:util'
import { openWarehouse } from '../../warehouse/client.ts'
import { CHROME_UA } from '../support/http.ts'
import { type ServiceProcess, sleep } from '../support/process.ts'

/**
 * For tests of the service as a real process (test/support/process.ts starts it): a bounded load generator that records exactly which events were acknowledged, and a way to
 * count what reached the warehouse. Traffic goes to 127.0.0.1 only.
 */

// Path segments of letters only (no hex digit, no run a scrubber could take for an id or token).
const LETTERS = 'ghijklmnopqrstuvwxyz'
export const eventName = (n: number): string => {
  let name = ''
  let rest = n
  do {
    name = LETTERS[rest % LETTERS.length] + name
    rest = Math.floor(rest / LETTERS.length)
  } while (rest > 0)
  return `e${name}`
}

export type LoadResult = {
  /** Event numbers answered 202. */
  acked: Set<number>
  /** Event numbers whose request got no answer (connection lost): they may or may not count. */
  unknown: Set<number>
  /** Event numbers refused with an answer (4xx/5xx): they must not count. */
  refused: Set<number>
  statuses: Map<number, number>
  /** Latency of the 202 answers, ms. */
  ackLatencies: number[]
  requests: number
  /** 503 and 429 answers without a Retry-After header. */
  withoutRetryAfter: number
}

export type Load = { stop(): Promise<LoadResult>; result: LoadResult; done: Promise<LoadResult> }

/**
 * Posts pageviews with unique paths (`/<prefix>/<eventName(n)>`) from `concurrency` keep-alive
 * connections, `perRequest` events a request, until stopped, `maxRequests` or `maxMs`.
 */
export function startLoad(options: {
  url: string
  prefix: string
  site?: string
  concurrency?: number
  perRequest?: number
  maxRequests?: number
  maxMs?: number
  first?: number
  pauseMs?: number
}): Load {
  const target = new URL(`${options.url}/api/event`)
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 })
  const result: LoadResult = {
    acked: new Set(),
    unknown: new Set(),
    refused: new Set(),
    statuses: new Map(),
    ackLatencies: [],
    requests: 0,
    withoutRetryAfter: 0,
  }
  let next = options.first ?? 0
  let stopped = false
  const started = Date.now()
  const perRequest = options.perRequest ?? 3
  const maxRequests = options.maxRequests ?? 1_000_000
  const maxMs = options.maxMs ?? 120_000

  const one = (): Promise<void> => {
    const ids = Array.from({ length: perRequest }, () => next++)
    const body = JSON.stringify({
      events: ids.map((n) => ({
        type: 'pageview',
        site: options.site ?? 'demo',
        url: `http://localhost:8787/${options.prefix}/${eventName(n)}`,
      })),
    })
    const sent = performance.now()
    return new Promise<void>((resolve) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': CHROME_UA,
            'content-length': Buffer.byteLength(body),
          },
          timeout: 15_000,
        },
        (res) => {
          res.resume()
          res.once('end', () => {
            const status = res.statusCode ?? 0
            result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1)
            const into = status === 202 ? result.acked : result.refused
            for (const id of ids) into.add(id)
            if (status === 202) result.ackLatencies.push(performance.now() - sent)
            if ((status === 503 || status === 429) && !res.headers['retry-after']) result.withoutRetryAfter++
            resolve()
          })
          res.once('error', () => {
            for (const id of ids) result.unknown.add(id)
            resolve()
          })
        },
      )
      req.once('error', () => {
        for (const id of ids) result.unknown.add(id)
        resolve()
      })
      req.once('timeout', () => req.destroy(new Error('timeout')))
      req.end(body)
    })
  }

  const worker = async () => {
    while (!stopped && result.requests < maxRequests && Date.now() - started < maxMs) {
      result.requests++
      await one()
      if (options.pauseMs) await sleep(options.pauseMs)
    }
  }
  const done = Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker)).then(() => {
    agent.destroy()
    return result
  })
  return {
    result,
    done,
    stop: async () => {
      stopped = true
      return done
    },
  }
}

export const emptyLoad = (): LoadResult => ({
  acked: new Set(),
  unknown: new Set(),
  refused: new Set(),
  statuses: new Map(),
  ackLatencies: [],
  requests: 0,
  withoutRetryAfter: 0,
})

export function mergeLoad(into: LoadResult, from: LoadResult): LoadResult {
  for (const key of ['acked', 'unknown', 'refused'] as const) for (const n of from[key]) into[key].add(n)
  for (const [status, count] of from.statuses)
    into.statuses.set(status, (into.statuses.get(status) ?? 0) + count)
  into.ackLatencies.push(...from.ackLatencies)
  into.requests += from.requests
  into.withoutRetryAfter += from.withoutRetryAfter
  return into
}

/** Waits until the service's write buffer is empty and healthy; returns how long that took. */
export async function drained(service: ServiceProcess, timeoutMs = 60_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    const { body } = await service.health()
    const buffer = body.checks.find((check) => check.name === 'write_buffer')
    if (buffer?.detail.buffered === 0 && buffer.status === 'ok') return Date.now() - started
    await sleep(50)
  }
  throw new Error(`the write-ahead log did not drain in ${timeoutMs} ms:\n${service.output()}`)
}

const run = promisify(execFile)

/**
 * Runs a SELECT on an embedded warehouse in a child process (chDB holds one data directory per
 * process, and a test may need several). The service using the directory must have exited.
 */
export async function queryEmbedded<T>(dataDir: string, sql: string): Promise<T[]> {
  const script = `
    import { openWarehouse } from './warehouse/client.ts'
    const warehouse = await openWarehouse({ kind: 'embedded', path: process.env.DIR, database: 'tally' })
    const rows = await (await warehouse.client.query({ query: process.env.SQL, format: 'JSONEachRow' })).json()
    await warehouse.close()
    process.stdout.write(JSON.stringify(rows))
  `
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, DIR: dataDir, SQL: sql },
    maxBuffer: 256 * 1024 * 1024,
  })
  return JSON.parse(stdout) as T[]
}

/** PATH_COUNTS on a clickhouse-server's `tally` database: path -> pageviews. */
export async function serverPathCounts(url: string, prefix: string): Promise<Map<string, number>> {
  const warehouse = await openWarehouse({
    kind: 'server',
    url,
    username: 'default',
    password: '',
    database: 'tally',
  })
  try {
    const result = await warehouse.client.query({ query: PATH_COUNTS(prefix), format: 'JSONEachRow' })
    const rows = await result.json<{ path: string; n: number }>()
    return new Map(rows.map((row) => [row.path, Number(row.n)]))
  } finally {
    await warehouse.close()
  }
}

export const PATH_COUNTS = (prefix: string) =>
  `SELECT path, toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/${prefix}/%' GROUP BY path`

/** Problems with `counts` (path -> count) for a load: empty when every event counted as it must. */
export function countProblems(prefix: string, load: LoadResult, counts: Map<string, number>): string[] {
  const problems: string[] = []
  const pathOf = (n: number) => `/${prefix}/${eventName(n)}`
  for (const n of load.acked) {
    const count = counts.get(pathOf(n)) ?? 0
    if (count !== 1) problems.push(`acknowledged ${pathOf(n)} counted ${count} times`)
  }
  for (const n of load.unknown) {
    const count = counts.get(pathOf(n)) ?? 0
    if (count > 1) problems.push(`unanswered ${pathOf(n)} counted ${count} times`)
  }
  for (const n of load.refused) {
    const count = counts.get(pathOf(n)) ?? 0
    if (count !== 0) problems.push(`refused ${pathOf(n)} counted ${count} times`)
  }
  const known = new Set([...load.acked, ...load.unknown, ...load.refused].map(pathOf))
  for (const [path, count] of counts) if (!known.has(path)) problems.push(`${path} was never sent (${count})`)
  return problems
}

export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}
