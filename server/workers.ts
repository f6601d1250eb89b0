import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../core/logger.ts'
import { mergeWorkerMetrics } from '../core/metrics.ts'

/**
 * `WORKERS=n` in server mode: this process forks n copies of the service and shares the port
 * between them (Node's cluster module hands each new connection to the next worker). A collector
 * is one JavaScript thread, so this is how it uses more than one core.
 *
 * - Worker 1 starts first (migrations, generated tokens, the day's salt); the rest once it listens,
 *   and they find all of that in place. Only worker 1 runs the scheduled jobs.
 * - Each worker has its own write-ahead log (`wal/` for worker 1, `wal-<n>` for the others).
 * - Once every worker has listened, a worker that dies is replaced by a new one with the same
 *   number, which sends on what its log holds (after 1 s, doubling up to 30 s while replacements
 *   keep failing). A worker that dies while the service starts stops it, exit code 1: a bad
 *   configuration or an unreachable warehouse would only fail again.
 * - SIGTERM / SIGINT go to every worker; each flushes as a lone process would. The exit code is 0
 *   when every worker exited 0.
 * - `GET /metrics` on any worker answers with every worker's series (`worker` label): it asks this
 *   process, which asks each worker.
 *
 * @example
 * if (workers > 1 && cluster.isPrimary) return runPrimary({ workers, logger })
 */
export type PrimaryOptions = {
  workers: number
  logger: Logger
  /** How long the workers get to stop before they are killed. */
  shutdownMs?: number
  /** Pause before a worker that died is replaced. */
  restartDelayMs?: number
  /** How long a `/metrics` request waits for the workers' answers. */
  metricsTimeoutMs?: number
}

/** Messages between a worker and this process, all tagged `tally`. */
export type WorkerMessage =
  | { tally: 'metrics'; id: number }
  | { tally: 'render'; id: number }
  | { tally: 'rendered'; id: number; text: string }
  | { tally: 'merged'; id: number; text: string }

export const isWorkerMessage = (value: unknown): value is WorkerMessage =>
  typeof value === 'object' && value !== null && 'tally' in value && 'id' in value

export function runPrimary(options: PrimaryOptions): void {
  const { workers: count, logger } = options
  const shutdownMs = options.shutdownMs ?? 15_000
  const restartDelayMs = options.restartDelayMs ?? 1_000
  const running = new Map<number, Worker>()
  const listening = new Set<number>()
  let stopping = false
  let exitCode = 0
  type Gather = { parts: Array<{ worker: number; text: string }>; expected: number; done: () => void }
  const gathers = new Map<number, Gather>()
  let nextGather = 0

  // Until every worker has listened once, a failure is the configuration's or the warehouse's and
  // stops the service; later, a worker that dies is replaced (with a growing pause if its
  // replacement keeps failing, say while the warehouse is down) and the others go on serving.
  let started = false
  const failures = new Map<number, number>()

  const start = (index: number) => {
    const worker = cluster.fork({ TALLY_WORKER: String(index), WORKERS: String(count) })
    running.set(index, worker)
    worker.on('listening', () => {
      if (listening.has(index)) return
      listening.add(index)
      failures.delete(index)
      if (index === 1 && !started) for (let next = 2; next <= count; next++) start(next)
      if (listening.size === count && !started) {
        started = true
        logger.info({ workers: count, pid: process.pid }, 'all workers listening')
      }
    })
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) answer(index, worker, message)
    })
    worker.on('exit', (code, signal) => {
      running.delete(index)
      listening.delete(index)
      if (stopping) {
        if (code !== 0) exitCode = 1
        if (running.size === 0) process.exit(exitCode)
        return
      }
      if (!started) {
        exitCode = 1
        logger.error(
          { worker: index, code, signal },
          'a worker stopped while the service was starting; stopping',
        )
        stop()
        return
      }
      const failed = (failures.get(index) ?? 0) + 1
      failures.set(index, failed)
      const delay = Math.min(30_000, restartDelayMs * 2 ** (failed - 1))
      logger.error(
        { worker: index, code, signal, restartInMs: delay },
        'a worker stopped; starting a new one in its place',
      )
      setTimeout(() => {
        if (!stopping) start(index)
      }, delay)
    })
  }

  const answer = (index: number, worker: Worker, message: WorkerMessage) => {
    if (message.tally === 'rendered') {
      const gather = gathers.get(message.id)
      if (!gather) return
      gather.parts.push({ worker: index, text: message.text })
      if (gather.parts.length >= gather.expected) gather.done()
      return
    }
    if (message.tally !== 'metrics') return
    const id = nextGather++
    const parts: Array<{ worker: number; text: string }> = []
    const timer = setTimeout(() => done(), options.metricsTimeoutMs ?? 2_000)
    const done = () => {
      clearTimeout(timer)
      gathers.delete(id)
      parts.sort((a, b) => a.worker - b.worker)
      if (worker.isConnected())
        worker.send({ tally: 'merged', id: message.id, text: mergeWorkerMetrics(parts) })
    }
    const asked = [...running.values()].filter((each) => each.isConnected())
    gathers.set(id, { parts, expected: asked.length, done })
    for (const each of asked) each.send({ tally: 'render', id })
  }

  const stop = () => {
    if (stopping) return
    stopping = true
    for (const worker of running.values()) worker.process.kill('SIGTERM')
    setTimeout(() => {
      logger.error({ workers: [...running.keys()] }, 'workers still running at the deadline; killing them')
      for (const worker of running.values()) worker.process.kill('SIGKILL')
      process.exit(1)
    }, shutdownMs).unref()
    if (running.size === 0) process.exit(exitCode)
  }
  process.on('SIGTERM', () => {
    logger.info({ signal: 'SIGTERM', workers: running.size }, 'stopping the workers')
    stop()
  })
  process.on('SIGINT', () => stop())

  start(1)
}
