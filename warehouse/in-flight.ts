import type { ClickHouseClient } from '@clickhouse/client'
import { settlesWithin } from '../core/deadline.ts'

/**
 * A call made once the warehouse had begun to close. It was never sent: nothing of it reached
 * ClickHouse, and an embedded warehouse's native connection was not touched.
 */
export class WarehouseClosedError extends Error {
  constructor(call: string) {
    super(`the warehouse is closing: ${call}() refused (no new queries once close() has begun)`)
    this.name = 'WarehouseClosedError'
  }
}

/**
 * `close()` stopped waiting for the calls still running and left the connection open under them:
 * closing chDB under a running query or insert crashes the process (SIGSEGV or SIGABRT).
 */
export class WarehouseBusyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WarehouseBusyError'
  }
}

export type InFlight = {
  /** `client`, with its calls counted while they run and refused once `stop()` was called. */
  guard(client: ClickHouseClient): ClickHouseClient
  /** Refuses every new call from now on (`WarehouseClosedError`; `ping` answers unsuccessful). */
  stop(): void
  /** Calls sent and not yet settled. */
  readonly running: number
  /** True once no call is running, false if `ms` passed first. */
  idle(ms: number): Promise<boolean>
}

// The calls that reach the warehouse; every other member of the client is passed through as is.
const COUNTED = new Set<PropertyKey>(['query', 'insert', 'command', 'exec'])

type Call = (...args: unknown[]) => Promise<unknown>

/**
 * Counts the warehouse's calls in flight, so that closing can wait for them. A call counts until
 * its promise settles: chDB has computed (or written) everything by then, since it hands back a
 * query's result whole. What the count cannot see is a call its caller aborted (an `abort_signal`):
 * the promise rejects at once while chDB goes on to the end; the embedded close waits for those
 * through chDB itself (client.ts).
 */
export function inFlight(): InFlight {
  let stopped = false
  let running = 0
  const waiters = new Set<() => void>()
  const settled = () => {
    running--
    if (running > 0) return
    for (const wake of waiters) wake()
    waiters.clear()
  }
  const count = (call: () => Promise<unknown>): Promise<unknown> => {
    running++
    let result: Promise<unknown>
    try {
      result = call()
    } catch (error) {
      result = Promise.reject(error)
    }
    return result.finally(settled)
  }
  return {
    guard: (client) =>
      new Proxy(client, {
        get(target, key) {
          const member: unknown = Reflect.get(target, key, target)
          if (typeof member !== 'function') return member
          const call = (args: unknown[]) => (member as Call).apply(target, args)
          if (key === 'ping') {
            // A health check asks whether the warehouse answers: while closing, it does not.
            return (...args: unknown[]) =>
              stopped
                ? Promise.resolve({ success: false, error: new WarehouseClosedError('ping') })
                : count(() => call(args))
          }
          if (COUNTED.has(key)) {
            return (...args: unknown[]) =>
              stopped ? Promise.reject(new WarehouseClosedError(String(key))) : count(() => call(args))
          }
          return member.bind(target)
        },
      }),
    stop: () => {
      stopped = true
    },
    get running() {
      return running
    },
    idle: (ms) => {
      if (running === 0) return Promise.resolve(true)
      return settlesWithin(new Promise<void>((resolve) => waiters.add(resolve)), ms)
    },
  }
}
