import type { EventRow } from '../../schemas/row.ts'
import type { RecoveryReport, SealedBatch } from './wal.ts'

/**
 * The write buffer's contract (its sink, options, events and state) and the policies it
 * follows: batch size, retry backoff, when a recovered batch is skipped, and how a failure is
 * described without quoting event data. The buffer itself is batcher.ts.
 */

export type BatchSink = {
  /** Readies the warehouse for inserts; retried until it succeeds. */
  prepare(): Promise<{ tokens: boolean }>
  insert(batch: { id: string; body: AsyncIterable<Buffer> }, signal: AbortSignal): Promise<void>
  /** Which of these batch ids the warehouse already holds. */
  applied(ids: readonly string[]): Promise<Set<string>>
}

export type BatcherOptions = {
  dir: string
  maxBytes: number
  /** `WAL_FSYNC_MS`: see WalOptions.syncIntervalMs. */
  syncIntervalMs?: number
  sink: BatchSink
  intervalMs: number
  maxBatch?: number
  /**
   * How long after its last write a batch is re-inserted with its deduplication token rather
   * than skipped because the ledger lists it; see `shouldSkip`.
   */
  dedupHorizonMs?: number
  /** Test hook: `crash-after-insert` kills the process between an insert and the log's truncation. */
  failpoint?: string | undefined
  on?: Partial<BatcherEvents>
}

export type BatcherEvents = {
  flushed: (events: number, ms: number) => void
  failed: (error: unknown, events: number, attempt: number) => void
  walError: (error: Error) => void
  commit: (appends: number, ms: number) => void
  sync: () => void
  skipped: (batch: SealedBatch) => void
  recovered: (report: RecoveryReport) => void
}

export type OfferResult = { ok: true } | { ok: false; reason: 'full' | 'unavailable'; retryAfter: number }

export type BatcherStats = {
  backlogEvents: number
  backlogBatches: number
  backlogBytes: number
  maxBytes: number
  /** Consecutive failed inserts of the head batch; 0 when the warehouse is keeping up. */
  failures: number
  lastError: string | undefined
  walWritable: boolean
}

export type Batcher = {
  offer(rows: readonly EventRow[]): Promise<OfferResult>
  /** Seals the open batch and resolves when the log is drained or an insert has failed. */
  flush(): Promise<void>
  /**
   * Stops taking events, seals the open batch, inserts what it can until `deadlineMs` from now
   * and leaves the rest in the log for the next start.
   */
  close(deadlineMs?: number): Promise<void>
  /** Events acknowledged and not yet in the warehouse. */
  readonly buffered: number
  readonly healthy: boolean
  readonly stats: BatcherStats
}

const MIN_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
export const DEDUP_HORIZON_MS = 10 * 60_000
/**
 * Events at which the open batch is sealed before its interval is up. Every insert costs the
 * warehouse a fixed price on top of its rows (each rollup's view runs and writes a part: about
 * 150–400 ms of CPU on one core, the same for 1,000 rows as for 5,000), so fewer, larger inserts
 * are what keeps it cheap under load. The batch goes to the warehouse streamed from its file, so
 * its size costs the collector no memory; the warehouse's memory grows with it, which sets the
 * embedded limit lower. Measured on chDB, 200,000 events in batches of 10,000 / 25,000 / 50,000
 * (`load/embedded-cost.ts`, pinned to one core): 59–65 / 44 / 38 µs of CPU per row; under the
 * pinned bench's load (`load/core-probe.ts`) 25,000 every 15 s embedded cost 198 µs per event in
 * all at a peak of 964 MB, 50,000 185 µs at 1,333 MB, 10,000 every 5 s 234 µs at 712 MB
 * (docs/performance.md). The embedded flush interval is longer for the same reason (schemas/config.ts).
 */
export const MAX_BATCH_EVENTS = { server: 50_000, embedded: 25_000 } as const

export function backoff(attempt: number, random = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/**
 * Whether a batch that may already be in the warehouse can be skipped. With tokens, a batch
 * written recently is inserted again and the warehouse drops what it already has, which also
 * covers an insert that reached some rollups and not others; past the horizon (when the
 * deduplication window may have moved on) the ledger decides. Without tokens, the ledger decides.
 */
export function shouldSkip(
  inLedger: boolean,
  tokens: boolean,
  ageMs: number,
  horizonMs = DEDUP_HORIZON_MS,
): boolean {
  return inLedger && !(tokens && ageMs < horizonMs)
}

/**
 * A failed write described by its kind only. A warehouse's message may quote the rows it could
 * not parse, and those end up in logs and on `/healthz`; the kind (`ECONNREFUSED`, a ClickHouse
 * error type or code, the error's name) is what an operator needs and holds no event data.
 */
export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return 'unknown error'
  const { code, type } = error as { code?: unknown; type?: unknown }
  const kind = [type, code].filter((part) => typeof part === 'string' && /^[\w.-]{1,64}$/.test(part))
  return kind.length > 0 ? `${error.name}: ${kind.join(' ')}` : error.name
}
