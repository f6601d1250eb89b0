import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCountryLookup, createUaClassifier } from '../../collector/coarsen.ts'
import { createEventPipeline } from '../../collector/pipeline.ts'
import { Event, EventBatch } from '../../schemas/events.ts'
import { CHROME_UA } from '../support/http.ts'
import { type ServiceProcess, sleep, spawnService, stopService } from '../support/process.ts'
import { almostEvent, ORIGIN, type Probe, probe, protoEvent } from './fuzz-generators.ts'
import { rssMiB } from './support.ts'

/**
 * Hostile input over the collector's whole HTTP surface, on a real socket to the real process:
 * malformed and truncated JSON, deep nesting, huge strings, wrong types, prototype-pollution
 * keys, invalid UTF-8, odd methods, paths, content types and headers, oversized headers, slow
 * bodies and slow headers. Every answer is 2xx, 3xx or 4xx, never 5xx; the process stays up and
 * answers normal requests throughout; its memory stays bounded.
 */

// Short, so that slow senders are cut off quickly here; long enough for a machine busy with other tests.
const REQUEST_TIMEOUT_MS = 4_000
const dataDir = mkdtempSync(join(tmpdir(), 'tally-fuzz-'))
let service: ServiceProcess
let agent: Agent
const rss: number[] = []
let sampler: NodeJS.Timeout

beforeAll(async () => {
  service = await spawnService({
    DATA_DIR: dataDir,
    SITES: `demo=${ORIGIN}`,
    FLUSH_INTERVAL_MS: '500',
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  })
  agent = new Agent({ keepAlive: true, maxSockets: 16 })
  sampler = setInterval(() => {
    if (service.child.pid && service.child.exitCode === null) rss.push(rssMiB(service.child.pid))
  }, 250)
})
afterAll(async () => {
  clearInterval(sampler)
  agent?.destroy()
  if (service) await stopService(service)
  rmSync(dataDir, { recursive: true, force: true })
})

let keepAliveRetries = 0

function send(probe: Probe, retried = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Framed explicitly: Node's client sends a DELETE or OPTIONS body with neither length nor chunks.
    const headers = probe.body
      ? { ...probe.headers, 'content-length': String(probe.body.length) }
      : probe.headers
    const req = request(
      { host: '127.0.0.1', port: service.port, method: probe.method, path: probe.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        )
        res.once('error', reject)
      },
    )
    req.once('error', (error: NodeJS.ErrnoException) => {
      // The one race of HTTP keep-alive: the server closed an idle connection just as this request
      // was sent on it. Every client retries that once, on a new connection.
      if (
        req.reusedSocket &&
        !retried &&
        (error.code === 'ECONNRESET' || error.message === 'socket hang up')
      ) {
        keepAliveRetries++
        send(probe, true).then(resolve, reject)
        return
      }
      reject(error)
    })
    req.end(probe.body)
  })
}

// --- the properties ------------------------------------------------------------------------

describe('hostile input over HTTP', () => {
  it('never answers 5xx, with shrinking (3,000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(probe, async (p) => {
        const { status } = await send(p)
        return status >= 200 && status < 500
      }),
      {
        numRuns: 3_000,
        seed: 7,
        // A counterexample can be a 64 KiB body: report its shape, not its bytes.
        reporter: (details) => {
          if (!details.failed) return
          const p = details.counterexample?.[0] as Probe | undefined
          throw new Error(
            `after ${details.numRuns} runs: ${p?.method} ${p?.path.slice(0, 100)} ${JSON.stringify(p?.headers)} body ${p?.body?.length ?? 0} bytes ${p?.body?.subarray(0, 200).toString('latin1')}: ${details.errorInstance ?? ''}`,
          )
        },
      },
    )
  }, 60_000)

  it('never answers 5xx, 16 at a time (25,000 runs), memory bounded, still serving', async () => {
    const probes = fc.sample(probe, { numRuns: 25_000, seed: 42 })
    const warm = rss.at(-1) ?? 0
    const failures: string[] = []
    const statuses = new Map<number, number>()
    let next = 0
    const worker = async () => {
      while (next < probes.length) {
        const p = probes[next++] as Probe
        try {
          const { status, body } = await send(p)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (status >= 500 || status < 200)
            failures.push(`${status} ${p.method} ${p.path.slice(0, 80)}: ${body.slice(0, 200)}`)
        } catch (error) {
          failures.push(`no answer to ${p.method} ${p.path.slice(0, 80)}: ${(error as Error).message}`)
        }
      }
    }
    const started = Date.now()
    await Promise.all(Array.from({ length: 16 }, worker))
    const seconds = (Date.now() - started) / 1000
    expect(failures.slice(0, 10), failures.join('\n')).toEqual([])
    expect(service.child.exitCode).toBeNull()
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
    const ok = await send({
      method: 'POST',
      path: '/api/event',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA },
      body: Buffer.from(JSON.stringify({ type: 'pageview', site: 'demo', url: `${ORIGIN}/after-fuzz` })),
    })
    expect(ok.status).toBe(202)
    const peak = Math.max(...rss)
    console.info(
      `[fuzz] ${probes.length} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `RSS ${warm.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB; ${keepAliveRetries} keep-alive races retried`,
    )
    expect(statuses.get(202) ?? 0).toBeGreaterThan(100)
    expect(peak - warm).toBeLessThan(300)
  }, 120_000)

  it('keeps its own prototypes clean whatever the keys (in process, 5,000 runs)', () => {
    const processEvent = createEventPipeline({
      sites: new Map([['demo', [ORIGIN]]]),
      queryParams: new Map(),
      classifyUa: createUaClassifier(),
      lookupCountry: createCountryLookup({ trustProxy: false }),
    })
    const request = {
      headers: { get: () => null },
      ip: '203.0.113.9',
      userAgent: CHROME_UA,
      origin: ORIGIN,
      now: new Date(),
    }
    fc.assert(
      fc.property(
        fc.oneof(
          protoEvent,
          almostEvent.map((e) => JSON.stringify(e)),
        ),
        (text) => {
          const parsed = JSON.parse(text) as unknown
          const one = Event.safeParse(parsed)
          const many = EventBatch.safeParse({ events: [parsed] })
          for (const result of [one, many]) {
            if (!result.success) continue
            const events = 'events' in result.data ? result.data.events : [result.data]
            for (const event of events) processEvent(event, request, new Uint8Array(32).fill(7))
          }
          const probeObject: Record<string, unknown> = {}
          return probeObject.polluted === undefined && Object.getPrototypeOf(probeObject) === Object.prototype
        },
      ),
      { numRuns: 5_000, seed: 3 },
    )
  })
})

// --- raw sockets: what an HTTP client library will not send --------------------------------

function raw(bytes: string | Buffer, options: { trickle?: Buffer; everyMs?: number } = {}) {
  return new Promise<{ response: string; closedAfterMs: number }>((resolve) => {
    const started = Date.now()
    const socket: Socket = connect(service.port, '127.0.0.1')
    let response = ''
    let timer: NodeJS.Timeout | undefined
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ response, closedAfterMs: Date.now() - started })
    })
    socket.write(bytes)
    if (options.trickle) {
      let sent = 0
      const trickle = options.trickle
      timer = setInterval(() => {
        if (sent >= trickle.length || socket.destroyed) return clearInterval(timer)
        socket.write(trickle.subarray(sent, sent + 1))
        sent++
      }, options.everyMs ?? 200)
    }
    setTimeout(() => socket.destroy(), 20_000).unref()
  })
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)

describe('hostile connections', () => {
  it('refuses headers over 16 KiB with 431', async () => {
    const { response } = await raw(
      `POST /api/event HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`,
    )
    expect(statusOf(response)).toBe(431)
  })

  it('refuses a request line that is not HTTP with 400', async () => {
    const { response } = await raw('GARBAGE\x00\x01 / nope\r\n\r\n')
    expect(statusOf(response)).toBe(400)
  })

  it('answers a chunked body over 64 KiB with 413, not 5xx', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x61).toString()
    const chunks = Array.from({ length: 6 }, () => `${(16 * 1024).toString(16)}\r\n${chunk}\r\n`).join('')
    const { response } = await raw(
      `POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nUser-Agent: ${CHROME_UA}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
    )
    expect(statusOf(response)).toBe(413)
  })

  it('cuts slow bodies and slow headers off, and serves others meanwhile', async () => {
    const body = Buffer.from(JSON.stringify({ type: 'pageview', site: 'demo', url: `${ORIGIN}/slow` }))
    const head = `POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nUser-Agent: ${CHROME_UA}\r\nContent-Length: ${body.length}\r\n\r\n`
    const slowBodies = Array.from({ length: 20 }, () => raw(head, { trickle: body, everyMs: 300 }))
    const slowHeaders = Array.from({ length: 20 }, () =>
      raw('POST /api/event HTTP/1.1\r\n', {
        trickle: Buffer.from('X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'),
        everyMs: 300,
      }),
    )
    // Meanwhile a normal visitor is served promptly.
    await sleep(300)
    const started = Date.now()
    const normal = await send({
      method: 'POST',
      path: '/api/event',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA },
      body: Buffer.from(JSON.stringify({ type: 'pageview', site: 'demo', url: `${ORIGIN}/normal` })),
    })
    expect(normal.status).toBe(202)
    expect(Date.now() - started).toBeLessThan(1_000)

    for (const { response, closedAfterMs } of await Promise.all(slowBodies)) {
      const status = statusOf(response)
      expect([0, 408]).toContain(status)
      expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000)
    }
    for (const { response, closedAfterMs } of await Promise.all(slowHeaders)) {
      expect([0, 408]).toContain(statusOf(response))
      expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000)
    }
    expect(service.child.exitCode).toBeNull()
  }, 30_000)
})
