import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../core/logger.ts'
import { createShutdown, SHUTDOWN_LIMITS, type ShutdownDeps } from '../../server/shutdown.ts'
import { WarehouseBusyError } from '../../warehouse/client.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A shutdown over a listening server and fakes that record, in order, what happened to them. */
async function harness({
  closeFails = false,
  ...overrides
}: Partial<ShutdownDeps> & { closeFails?: boolean } = {}) {
  const events: string[] = []
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  let exited: (code: number) => void = () => {}
  const exit = new Promise<number>((resolve) => {
    exited = resolve
  })
  const closeOptions: Array<{ waitMs?: number } | undefined> = []
  const shutdown = createShutdown({
    logger: createLogger('silent'),
    server,
    collector: {
      close: async () => {
        events.push('collector closed')
      },
      batcher: { buffered: 0 },
    },
    warehouse: {
      close: async (options) => {
        closeOptions.push(options)
        events.push('warehouse closed')
        if (closeFails) throw new WarehouseBusyError('busy')
      },
    },
    startup: () => undefined,
    scheduler: () => undefined,
    exit: (code) => {
      events.push(`exit ${code}`)
      exited(code)
    },
    ...overrides,
  })
  return { events, shutdown, exit, closeOptions }
}

describe('the shutdown', () => {
  it('waits for the start-up under way and for the running jobs before it closes the warehouse, then exits 0', async () => {
    const { events, shutdown, exit, closeOptions } = await harness({
      startup: () => sleep(300).then(() => events.push('start-up done')),
      scheduler: () => ({
        stop: () => sleep(600).then(() => void events.push('jobs ended')),
      }),
    })
    void shutdown('SIGTERM')
    expect(await exit).toBe(0)
    expect(events).toEqual(['start-up done', 'collector closed', 'jobs ended', 'warehouse closed', 'exit 0'])
    // The warehouse is given the time left to wait for the calls still running in it.
    expect(closeOptions[0]?.waitMs).toBeGreaterThan(SHUTDOWN_LIMITS.totalMs - 2_000)
    expect(closeOptions[0]?.waitMs).toBeLessThanOrEqual(SHUTDOWN_LIMITS.totalMs)
  })

  it('waits for jobs no longer than their limit, and for a start-up no longer than the grace', async () => {
    const limits = { totalMs: 3_000, graceMs: 200, jobsMs: 500, closeMs: 1_000 }
    const { events, shutdown, exit } = await harness({
      limits,
      startup: () => new Promise(() => {}),
      scheduler: () => ({ stop: () => new Promise(() => {}) }),
    })
    const started = performance.now()
    void shutdown('SIGINT')
    expect(await exit).toBe(0)
    const ms = performance.now() - started
    expect(ms).toBeGreaterThanOrEqual(limits.jobsMs - 20)
    expect(ms).toBeLessThan(limits.totalMs)
    expect(events).toEqual(['collector closed', 'warehouse closed', 'exit 0'])
  })

  it('exits 1 without closing twice when the warehouse stays busy, and runs once for two signals', async () => {
    const { events, shutdown, exit } = await harness({ closeFails: true })
    void shutdown('SIGTERM')
    void shutdown('SIGINT')
    expect(await exit).toBe(1)
    await sleep(50)
    expect(events).toEqual(['collector closed', 'warehouse closed', 'exit 1'])
  })
})
