import { mkdirSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { GroupCommit, type OpenBatch, WalError, type WalOptions } from './wal-commit.ts'
import {
  closeQuietly,
  frame,
  newBatchId,
  type RecoveryReport,
  readPayloads,
  recover,
  type SealedBatch,
} from './wal-files.ts'
import { type HeldLock, takeLock } from './wal-lock.ts'

export { WalError, type WalErrorCode, type WalOptions } from './wal-commit.ts'
export { newBatchId, parse, type RecoveryReport, type SealedBatch, WalLockedError } from './wal-files.ts'

/**
 * The write-ahead log: events are answered 202 only once they are here or in the warehouse. It
 * lives in `<DATA_DIR>/wal/`, one file per batch:
 *
 *   LOCK                            a Unix socket the owner listens on (wal-lock.ts)
 *   000000000042-<batch id>.wal     a batch: records appended until it is sealed
 *
 * A batch id is 128 random bits written with the letters a to p: no digit, so nothing that scans
 * stored strings for phone or card numbers (the privacy audit) mistakes one for them.
 *
 * A record is one request's rows: `magic u32 | length u32 | crc32 u32 | payload`, the payload
 * being JSONEachRow lines that already carry the batch id, so a sealed file is, record by record,
 * exactly the body of the batch's INSERT. A file is deleted once the warehouse has the batch.
 *
 * Group commit: appends queue while a write is in flight; the next write takes the whole queue in
 * one `write`, so under load many requests share each write.
 *
 * When an append resolves (`syncIntervalMs`, `WAL_FSYNC_MS`):
 * - `0`: after the write and an `fdatasync` (and, for a new file, an fsync of its directory). The
 *   records survive a power loss; every 202 waits for a disk flush, which bounds throughput at
 *   about connections ÷ fsync time.
 * - `n > 0`: after the write, when the kernel holds the records. They survive any crash or kill of
 *   the process (the page cache outlives it); the open file is fsynced every `n` ms and when it is
 *   sealed, so a power loss or kernel crash loses at most the last `n` ms of acknowledged events.
 *
 * Recovery reads every file, keeps each up to its last whole record with a valid checksum (a
 * torn tail from a crash or a full disk is cut off) and hands the batches back as sealed.
 */
export class WriteAheadLog {
  readonly dir: string
  readonly #options: WalOptions
  readonly #lock: HeldLock
  #seq: number
  #current: OpenBatch | undefined
  readonly #commits: GroupCommit
  /** Bytes appended (queued or durable) and not yet removed. */
  #bytes = 0
  #closed = false
  #syncTimer: NodeJS.Timeout | undefined

  private constructor(options: WalOptions, seq: number, lock: HeldLock) {
    this.dir = options.dir
    this.#options = options
    this.#lock = lock
    this.#seq = seq
    this.#commits = new GroupCommit(options, (bytes) => {
      this.#bytes -= bytes
    })
    const syncEvery = options.syncIntervalMs ?? 0
    if (syncEvery > 0) {
      this.#syncTimer = setInterval(() => void this.#syncOpen(), syncEvery)
      this.#syncTimer.unref()
    }
  }

  /**
   * Opens (creating) the log directory, takes its lock and recovers what an earlier process
   * left. Synchronous, so a log that cannot be opened stops the start with a clear error.
   */
  static open(options: WalOptions): { wal: WriteAheadLog; recovered: RecoveryReport } {
    // Only this process's user reads the log: its rows carry the day's visitor hashes.
    mkdirSync(options.dir, { recursive: true, mode: 0o700 })
    const lock = takeLock(join(options.dir, 'LOCK'))
    let recovered: RecoveryReport
    try {
      recovered = recover(options.dir)
    } catch (error) {
      lock.release()
      throw error
    }
    const seq = Math.max(0, ...recovered.batches.map((batch) => batch.seq))
    const wal = new WriteAheadLog(options, seq, lock)
    wal.#bytes = recovered.batches.reduce((sum, batch) => sum + batch.bytes, 0)
    return { wal, recovered }
  }

  /** Bytes of the log that the warehouse does not have yet (sealed, open and queued). */
  get bytes(): number {
    return this.#bytes
  }

  /** Durable events in the open batch. */
  get openEvents(): number {
    return this.#current && !this.#current.sealed ? this.#current.events : 0
  }

  /** When the open batch was last written to, or undefined when there is none. */
  get openSince(): number | undefined {
    return this.#current && !this.#current.sealed && this.#current.events > 0
      ? this.#current.lastWrite
      : undefined
  }

  /**
   * Appends one request's rows (JSON objects, one per row) to the open batch and resolves once
   * they are on disk. Rejects with a WalError: `full` (nothing written), `io` (the disk failed;
   * nothing of this record will be replayed) or `closed`.
   */
  append(rows: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(new WalError('closed', 'the write-ahead log is closed'))
    const batch = this.#openBatch()
    const prefix = `{"batch_id":"${batch.id}",`
    const payload = Buffer.from(rows.map((row) => `${prefix}${row.slice(1)}\n`).join(''), 'utf8')
    const record = frame(payload)
    if (this.bytes + record.length > this.#options.maxBytes) {
      return Promise.reject(new WalError('full', 'the write-ahead log is at its size limit (SPOOL_MAX_MB)'))
    }
    batch.inflight++
    this.#bytes += record.length
    return new Promise<void>((resolve, reject) => {
      this.#commits.add({ batch, record, events: rows.length, resolve, reject })
    })
  }

  /**
   * Closes the open batch to further appends, waits until everything appended to it is written
   * and fsynced, and returns it, or undefined when it holds nothing.
   */
  seal(): Promise<SealedBatch | undefined> {
    return this.#seal(this.#current)
  }

  async #seal(batch: OpenBatch | undefined): Promise<SealedBatch | undefined> {
    if (!batch || batch.sealed) return undefined
    batch.sealed = true
    if (batch.inflight > 0) await new Promise<void>((resolve) => batch.drained.push(resolve))
    // A sealed file is complete: it goes to the disk itself before anything else happens to it.
    if (batch.synced < batch.bytes) await this.#commits.sync(batch)
    if (batch.fd !== undefined) closeQuietly(batch.fd)
    batch.fd = undefined
    if (batch.events === 0) {
      await unlink(batch.path).catch(() => {})
      return undefined
    }
    return {
      id: batch.id,
      seq: batch.seq,
      path: batch.path,
      bytes: batch.bytes,
      events: batch.events,
      sealedAt: batch.lastWrite,
      recovered: false,
    }
  }

  /** The batch's INSERT body, streamed from its file: the payloads of its whole, valid records. */
  body(batch: SealedBatch): AsyncIterable<Buffer> {
    return readPayloads(batch.path)
  }

  /** Forgets a batch the warehouse has. A failed delete is reported, not thrown: replay skips it. */
  async remove(batch: SealedBatch): Promise<void> {
    this.#bytes -= batch.bytes
    try {
      await unlink(batch.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#options.onError?.(error as Error)
    }
  }

  /** Refuses further appends, waits for queued writes and releases the lock. Sealed files stay. */
  async close(): Promise<SealedBatch | undefined> {
    if (this.#closed) return undefined
    clearInterval(this.#syncTimer)
    const last = await this.seal()
    this.#closed = true
    await this.#commits.writing
    this.#lock.release()
    return last
  }

  #openBatch(): OpenBatch {
    const current = this.#current
    if (current && !current.sealed && !current.broken) return current
    if (current && !current.sealed && current.broken) {
      // A failed disk leaves the batch's good prefix durable: it is sealed like any other.
      void this.#seal(current).then((sealed) => sealed && this.#options.onSealedEarly?.(sealed))
    }
    const seq = ++this.#seq
    const id = newBatchId()
    const batch: OpenBatch = {
      id,
      seq,
      path: join(this.dir, `${String(seq).padStart(12, '0')}-${id}.wal`),
      fd: undefined,
      bytes: 0,
      events: 0,
      synced: 0,
      newEntry: true,
      inflight: 0,
      sealed: false,
      broken: false,
      lastWrite: Date.now(),
      drained: [],
    }
    this.#current = batch
    return batch
  }

  /** The interval's fsync: of the open batch; sealed ones were fsynced when they were sealed. */
  async #syncOpen(): Promise<void> {
    const batch = this.#current
    if (batch && !batch.sealed && !batch.broken) await this.#commits.sync(batch)
  }
}
