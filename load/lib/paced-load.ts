import { Agent, request as httpRequest } from 'node:http'
import { type LoadRequest, type LoadResult, percentiles } from './http-load.ts'

/**
 * An open-loop load at a steady rate: request i is due `i / rate` seconds after the start and is
 * sent then, whatever the answers to earlier ones, on one of `connections` keep-alive connections
 * (a request waits in node:http's Agent while all of them are busy, and that wait counts in its
 * latency). Latency runs from the moment the request is handed to the Agent to the last byte of
 * its answer.
 *
 * autocannon's own rate (`overallRate`) is not a pace: each connection sends its share of a second
 * as fast as answered at the start of that second and then waits for the next, so 1,000 requests a
 * second over 50 connections arrive as one burst of 1,000 at 50 concurrent every second
 * (autocannon/lib/httpClient.js, `reqsMadeThisSecond`), and their latency is that of the burst.
 */
export async function pacedLoad(options: {
  label: string
  url: string
  /** Sent in turn; one kind, one expected status (as runLoad's `cycle`). */
  cycle: readonly LoadRequest[]
  connections: number
  /** Requests per second. */
  rate: number
  seconds: number
}): Promise<LoadResult> {
  const { hostname, port } = new URL(options.url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let unexpected = 0
  let errors = 0
  let sent = 0
  let answered = 0
  const expect = options.cycle[0]?.expect
  const kind = options.cycle[0]?.kind ?? 'request'

  const send = (request: LoadRequest) => {
    const started = performance.now()
    const outgoing = httpRequest(
      { agent, hostname, port, method: request.method, path: request.path, headers: request.headers },
      (response) => {
        response.resume()
        response.once('end', () => {
          latencies.push(performance.now() - started)
          const status = response.statusCode ?? 0
          statuses[status] = (statuses[status] ?? 0) + 1
          if (status !== expect) unexpected++
          answered++
        })
      },
    )
    outgoing.once('error', () => {
      errors++
      answered++
    })
    outgoing.end(request.body)
  }

  const start = performance.now()
  const end = start + options.seconds * 1000
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      const due = Math.min(Math.floor(((now - start) * options.rate) / 1000), options.rate * options.seconds)
      while (sent < due) send(options.cycle[sent++ % options.cycle.length] as LoadRequest)
      if (now < end) setTimeout(tick, 1)
      else resolve()
    }
    tick()
  })
  // The answers still on their way (at most a few ms of them) are waited for, up to 10 s.
  const deadline = performance.now() + 10_000
  while (answered < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  agent.destroy()
  const seconds = (performance.now() - start) / 1000
  const result: LoadResult = {
    label: options.label,
    connections: options.connections,
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latency: percentiles(Float64Array.from(latencies)),
    statuses,
    byKind: { [kind]: { ...statuses } },
    unexpected,
    errors,
    timeouts: sent - answered,
    stoppedByTimeLimit: false,
  }
  process.stderr.write(
    `  ${options.label}: ${seconds.toFixed(0)} s, ${result.requests.toLocaleString('en-US')} responses, ${Math.round(result.requestsPerSecond).toLocaleString('en-US')}/s\n`,
  )
  return result
}
