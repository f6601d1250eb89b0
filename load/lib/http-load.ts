import autocannon from 'autocannon'
import type { Visit } from '../../demo/model/requests.js'

/**
 * One closed-loop (or rate-limited) HTTP load run on autocannon, with the bookkeeping the load
 * scripts need on top of autocannon's own: every response's status per request kind (so 202s can be
 * matched with the warehouse afterwards), exact latency percentiles from every response (not
 * autocannon's whole-millisecond histogram), a progress line, and a hard time limit.
 */

export type LoadRequest = {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
  /** What the request is, for the per-kind counts (an event type, an endpoint). */
  kind: string
  /** The status a correct server answers; anything else counts as unexpected. */
  expect: number
}

/** A beacon's visit from the scenario as the request the load generator sends. */
export const eventRequest = (visit: Visit): LoadRequest => ({
  method: 'POST',
  path: '/api/event',
  headers: visit.headers,
  body: visit.body,
  kind: visit.type,
  expect: visit.expect,
})

export type LoadOptions = {
  label: string
  url: string
  /** The next request to send, asked for every request (autocannon builds each anew)... */
  next?: () => LoadRequest
  /**
   * ...or a fixed list, of one kind and one expected status, that every connection sends in turn:
   * autocannon builds each of them once, and the responses are counted from its own events, so the
   * load generator does no work of its own per request beside autocannon's.
   */
  cycle?: readonly LoadRequest[]
  connections: number
  /** Stop after this many responses... */
  amount?: number
  /** ...or after this many seconds. */
  seconds?: number
  /** Hard limit whatever else is set. */
  maxSeconds?: number
  /** Requests per second over all connections; unset: as fast as the server answers. */
  rate?: number
  progress?: boolean
}

export type Latency = { mean: number; p50: number; p90: number; p95: number; p99: number; max: number }

export type LoadResult = {
  label: string
  connections: number
  requests: number
  seconds: number
  requestsPerSecond: number
  /** Milliseconds. */
  latency: Latency
  statuses: Record<string, number>
  /** kind → status → count. */
  byKind: Record<string, Record<string, number>>
  unexpected: number
  errors: number
  timeouts: number
  stoppedByTimeLimit: boolean
}

export function percentiles(values: Float64Array): Latency {
  if (values.length === 0) return { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 }
  const sorted = values.slice().sort()
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  let sum = 0
  for (const value of sorted) sum += value
  return {
    mean: sum / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
  }
}

/** A growable array of latencies: a million responses take 8 MB. */
class Samples {
  #data = new Float64Array(1 << 16)
  #length = 0
  push(value: number) {
    if (this.#length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2)
      grown.set(this.#data)
      this.#data = grown
    }
    this.#data[this.#length++] = value
  }
  get values() {
    return this.#data.subarray(0, this.#length)
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const byKind: Record<string, Record<string, number>> = {}
  const statuses: Record<string, number> = {}
  const latencies = new Samples()
  let unexpected = 0
  let responses = 0
  let stoppedByTimeLimit = false

  type Context = { request?: LoadRequest }
  const { cycle } = options
  const next = options.next ?? (() => cycle?.[0] as LoadRequest)
  const first = next()
  if (!first) throw new Error(`${options.label}: no request to send`)
  const single = cycle ? { kind: first.kind, expect: first.expect } : undefined
  if (cycle?.some((request) => request.kind !== first.kind || request.expect !== first.expect))
    throw new Error(`${options.label}: a cycle of requests has one kind and one expected status`)
  let finish: (error: Error | null, result: autocannon.Result) => void = () => {}
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result))
  })
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      pipelining: 1,
      ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
      ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
      timeout: 10,
      requests: cycle
        ? cycle.map((request) => ({
            method: request.method,
            path: request.path,
            headers: request.headers,
            ...(request.body !== undefined ? { body: request.body } : {}),
          }))
        : [
            {
              method: first.method,
              path: first.path,
              setupRequest: (request, context) => {
                const sent = next()
                ;(context as Context).request = sent
                return {
                  ...request,
                  method: sent.method,
                  path: sent.path,
                  headers: sent.headers,
                  ...(sent.body !== undefined ? { body: sent.body } : {}),
                }
              },
              onResponse: (status, _body, context) => {
                const sent = (context as Context).request
                if (!sent) return
                const kind = byKind[sent.kind] ?? {}
                byKind[sent.kind] = kind
                kind[status] = (kind[status] ?? 0) + 1
                if (status !== sent.expect) unexpected++
              },
            },
          ],
    },
    (error, result) => finish(error, result),
  )

  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    responses++
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
    latencies.push(responseTime)
    if (single && statusCode !== single.expect) unexpected++
  })

  const started = performance.now()
  let lastShown = 0
  const tty = process.stderr.isTTY
  const show = (final = false) => {
    const seconds = (performance.now() - started) / 1000
    const total = options.amount ? ` / ${options.amount.toLocaleString('en-US')}` : ''
    const line = `  ${options.label}: ${seconds.toFixed(0)} s, ${responses.toLocaleString('en-US')}${total} responses, ${Math.round(responses / Math.max(seconds, 0.001)).toLocaleString('en-US')}/s`
    if (tty) process.stderr.write(`\r${line}\u001b[K${final ? '\n' : ''}`)
    else if ((final && seconds - lastShown >= 1) || seconds - lastShown >= 5) {
      process.stderr.write(`${line}\n`)
      lastShown = seconds
    }
  }
  if (options.progress !== false) instance.on('tick', () => show())

  const limit =
    options.maxSeconds !== undefined
      ? setTimeout(() => {
          stoppedByTimeLimit = true
          instance.stop()
        }, options.maxSeconds * 1000)
      : undefined

  const result = await done
  if (limit) clearTimeout(limit)
  if (options.progress !== false) show(true)

  if (single) byKind[single.kind] = { ...statuses }
  const seconds = result.duration
  return {
    label: options.label,
    connections: options.connections,
    requests: responses,
    seconds,
    requestsPerSecond: responses / seconds,
    latency: percentiles(latencies.values),
    statuses,
    byKind,
    unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    stoppedByTimeLimit,
  }
}
