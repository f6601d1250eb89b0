import {
  type Batcher,
  type BatcherOptions,
  type BatcherStats,
  backoff,
  DEDUP_HORIZON_MS,
  describeError,
  MAX_BATCH_EVENTS,
  shouldSkip,
} from './batch-policy.ts'
import { type SealedBatch, WalError, WriteAheadLog } from './wal.ts'

export {
  type Batcher,
  type BatcherEvents,
  type BatcherOptions,
  type BatcherStats,
  type BatchSink,
  backoff,
  DEDUP_HORIZON_MS,
  describeError,
  MAX_BATCH_EVENTS,
  type OfferResult,
  shouldSkip,
} from './batch-policy.ts'

/**
 * The durable write buffer between the request path and the warehouse.
 *
 * `offer` appends a request's rows to the write-ahead log and resolves once they are written (or
 * fsynced, with `syncIntervalMs` 0; group commit): only then does the collector answer 202. The open batch is sealed every
 * `intervalMs`, or as soon as it holds `maxBatch` events, and sealed batches go to the
 * warehouse one at a time, oldest first; a batch's file is deleted only after its insert
 * succeeded. While the warehouse fails, batches stay in the log and the head is retried with
 * exponential backoff (the open batch then grows to `maxBatch` before it is sealed, so a long
 * outage makes fewer, fuller batches). `offer` refuses once the log would pass `maxBytes`.
 *
 * At start, whatever an earlier process left in the log is queued first. A batch that may
 * already be in the warehouse (recovered, or retried after an insert whose outcome is unknown)
 * goes through the sink's idempotence check: see warehouse/insert-events.ts.
 */

const RETRY_AFTER_FULL = 30
const RETRY_AFTER_BROKEN = 30
export function createBatcher(options: BatcherOptions): Batcher {
  const maxBatch = options.maxBatch ?? MAX_BATCH_EVENTS.server
  const horizon = options.dedupHorizonMs ?? DEDUP_HORIZON_MS
  const on = options.on ?? {}
  const pending: SealedBatch[] = []
  /** Batches whose insert may have happened: recovered ones, and any after a failed attempt. */
  const uncertain = new Set<string>()
  /** What the ledger said about an uncertain batch, asked once per attempt. */
  const ledger = new Map<string, boolean>()
  let failures = 0
  let lastError: string | undefined
  let walWritable = true
  let prepared: { tokens: boolean } | undefined
  let closing = false
  /** Set once close has sealed the last batch: only then may an idle loop end. */
  let lastSealed = false
  let stopped = false
  let wake: (() => void) | undefined
  const waiters: Array<() => void> = []
  let sealing: Promise<void> = Promise.resolve()
  let abort = new AbortController()

  const { wal, recovered } = WriteAheadLog.open({
    dir: options.dir,
    maxBytes: options.maxBytes,
    syncIntervalMs: options.syncIntervalMs ?? 0,
    onSync: () => on.sync?.(),
    onCommit: (appends, ms) => {
      walWritable = true
      on.commit?.(appends, ms)
    },
    onError: (error) => {
      walWritable = false
      on.walError?.(error)
    },
    onSealedEarly: (batch) => enqueue(batch),
  })
  for (const batch of recovered.batches) {
    pending.push(batch)
    uncertain.add(batch.id)
  }
  on.recovered?.(recovered)

  const nudge = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        if (wake === done) wake = undefined
        resolve()
      }
      wake = done
    })
  const settleWaiters = () => {
    for (const resolve of waiters.splice(0)) resolve()
  }

  function enqueue(batch: SealedBatch) {
    pending.push(batch)
    nudge()
  }

  const seal = (): Promise<void> => {
    sealing = sealing.then(async () => {
      const batch = await wal.seal()
      if (batch) enqueue(batch)
    })
    return sealing
  }

  async function apply(batch: SealedBatch, tokens: boolean): Promise<'inserted' | 'skipped'> {
    if (uncertain.has(batch.id)) {
      if (!ledger.has(batch.id)) {
        // One query for all the uncertain batches (after a restart, every recovered one), not one each.
        const ids = pending.filter((b) => uncertain.has(b.id) && !ledger.has(b.id)).map((b) => b.id)
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500)
          const found = await options.sink.applied(chunk)
          for (const id of chunk) ledger.set(id, found.has(id))
        }
      }
      const inLedger = ledger.get(batch.id) === true
      if (shouldSkip(inLedger, tokens, Date.now() - batch.sealedAt, horizon)) return 'skipped'
    }
    const body = wal.body(batch)
    uncertain.add(batch.id)
    // Whatever the ledger said, this attempt may change it.
    ledger.delete(batch.id)
    await options.sink.insert({ id: batch.id, body }, abort.signal)
    if (options.failpoint === 'crash-after-insert') process.kill(process.pid, 'SIGKILL')
    return 'inserted'
  }

  async function loop() {
    while (!stopped) {
      const head = pending[0]
      if (!head || !prepared) {
        if (!prepared) {
          try {
            prepared = await options.sink.prepare()
            failures = 0
            continue
          } catch (error) {
            failures++
            lastError = message(error)
            on.failed?.(error, 0, failures)
            settleWaiters()
            if (closing) return
            await sleep(backoff(failures))
            continue
          }
        }
        settleWaiters()
        // Closing but still sealing: the last batch is on its way (close nudges once it is queued).
        if (lastSealed) return
        await sleep(options.intervalMs)
        continue
      }
      const started = performance.now()
      try {
        const outcome = await apply(head, prepared.tokens)
        pending.shift()
        uncertain.delete(head.id)
        ledger.delete(head.id)
        await wal.remove(head)
        failures = 0
        lastError = undefined
        if (outcome === 'skipped') on.skipped?.(head)
        else on.flushed?.(head.events, performance.now() - started)
      } catch (error) {
        failures++
        lastError = message(error)
        on.failed?.(error, head.events, failures)
        settleWaiters()
        if (closing) return
        await sleep(backoff(failures))
      }
    }
  }
  const running = loop()

  // Seal on the interval while the warehouse keeps up; during an outage the open batch fills up
  // to maxBatch instead, so the log holds few, full batches.
  const timer = setInterval(() => {
    if (closing) return
    const since = wal.openSince
    if (since !== undefined && failures === 0 && pending.length === 0) void seal()
  }, options.intervalMs)
  timer.unref()

  const stats = (): BatcherStats => ({
    backlogEvents: pending.reduce((sum, batch) => sum + batch.events, 0) + wal.openEvents,
    backlogBatches: pending.length + (wal.openEvents > 0 ? 1 : 0),
    backlogBytes: wal.bytes,
    maxBytes: options.maxBytes,
    failures,
    lastError,
    walWritable,
  })

  return {
    async offer(rows) {
      if (closing) return { ok: false, reason: 'unavailable', retryAfter: 5 }
      try {
        await wal.append(rows.map((row) => JSON.stringify(row)))
      } catch (error) {
        if (error instanceof WalError && error.code === 'full') {
          return { ok: false, reason: 'full', retryAfter: RETRY_AFTER_FULL }
        }
        return { ok: false, reason: 'unavailable', retryAfter: RETRY_AFTER_BROKEN }
      }
      if (wal.openEvents >= maxBatch) void seal()
      return { ok: true }
    },
    async flush() {
      await seal()
      if (pending.length === 0) return
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        nudge()
      })
    },
    async close(deadlineMs = 7_000) {
      if (closing) return running
      closing = true
      clearInterval(timer)
      const deadline = setTimeout(() => {
        stopped = true
        abort.abort(new Error('shutting down'))
        nudge()
      }, deadlineMs)
      deadline.unref()
      await seal()
      lastSealed = true
      nudge()
      await running
      clearTimeout(deadline)
      await wal.close()
      stopped = true
      settleWaiters()
      abort = new AbortController()
    },
    get buffered() {
      return stats().backlogEvents
    },
    get healthy() {
      return failures === 0 && walWritable
    },
    get stats() {
      return stats()
    },
  }
}

const message = describeError
