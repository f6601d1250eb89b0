import type { EventRow } from '../schemas/row.ts'

/**
 * The write buffer between the request path and the warehouse: rows are flushed when the
 * buffer reaches `maxBatch`, every `intervalMs`, and on close. A failed flush keeps its rows
 * and tries again on the next tick; once `maxBuffered` rows wait, `offer` refuses, and the
 * collector answers 503 rather than accept what it cannot keep.
 */
export type BatcherOptions = {
  write: (rows: EventRow[]) => Promise<void>
  intervalMs: number
  maxBatch?: number
  maxBuffered?: number
  onFlush?: (rows: number, ms: number) => void
  onError?: (error: unknown, rows: number) => void
}

export type Batcher = {
  /** Queues rows; false when the buffer is full and nothing was queued. */
  offer(rows: EventRow[]): boolean
  flush(): Promise<void>
  close(): Promise<void>
  readonly buffered: number
  readonly healthy: boolean
}

export function createBatcher(options: BatcherOptions): Batcher {
  const maxBatch = options.maxBatch ?? 5000
  const maxBuffered = options.maxBuffered ?? 200_000
  let buffer: EventRow[] = []
  let flushing: Promise<void> | undefined
  let lastFlushFailed = false

  const flushOnce = async () => {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, maxBatch)
      const started = performance.now()
      try {
        await options.write(batch)
      } catch (error) {
        lastFlushFailed = true
        options.onError?.(error, batch.length)
        return
      }
      lastFlushFailed = false
      // Rows offered while the write was in flight were appended behind the batch.
      buffer = buffer.slice(batch.length)
      options.onFlush?.(batch.length, performance.now() - started)
    }
  }

  const flush = (): Promise<void> => {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined
    })
    return flushing
  }

  const timer = setInterval(() => void flush(), options.intervalMs)
  timer.unref()

  return {
    offer(rows) {
      if (buffer.length + rows.length > maxBuffered) return false
      for (const row of rows) buffer.push(row)
      if (buffer.length >= maxBatch) void flush()
      return true
    },
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
    get buffered() {
      return buffer.length
    },
    get healthy() {
      return !lastFlushFailed
    },
  }
}
