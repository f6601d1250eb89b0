import { fdatasync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { type SealedBatch, syncDirectory } from './wal-files.ts'

/** How the write-ahead log is opened; see wal.ts. */
export type WalOptions = {
  dir: string
  /** Refuse appends that would take the unapplied log past this many bytes. */
  maxBytes: number
  /** 0: fsync before an append resolves; n: fsync the open file every n ms (see above). */
  syncIntervalMs?: number
  /** After each group commit: how many appends it took and how long its write (+ fsync) took. */
  onCommit?: (appends: number, ms: number) => void
  /** After each fsync of a log file (with a commit, on the interval or at a seal). */
  onSync?: () => void
  /** Every failed write, fsync or file creation. */
  onError?: (error: Error) => void
  /**
   * A batch sealed early because its file failed: the records written before the failure are
   * durable and acknowledged, so they still go to the warehouse.
   */
  onSealedEarly?: (batch: SealedBatch) => void
}

/**
 * The write-ahead log's group commit (wal.ts has the log itself): the queue of appends,
 * the writes that take it whole, and the fsyncs that make a batch's file durable. WalError is here
 * rather than in wal.ts because appends are refused with it both here and there.
 */

export type WalErrorCode = 'full' | 'io' | 'closed'

/** Why an append was refused: the log is at its size limit, the disk failed, or it is closed. */
export class WalError extends Error {
  override name = 'WalError'
  constructor(
    readonly code: WalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export type Pending = {
  batch: OpenBatch
  record: Buffer
  events: number
  resolve: () => void
  reject: (e: Error) => void
}

export type OpenBatch = {
  id: string
  seq: number
  path: string
  /** Open for appending from the first commit until the batch is sealed. */
  fd: number | undefined
  /** Written bytes and events: what replay would find after a crash of the process. */
  bytes: number
  events: number
  /** Bytes known to be on the disk itself (fsynced). */
  synced: number
  /** The file's directory entry is not fsynced yet. */
  newEntry: boolean
  /** Writes and fsyncs in progress: the file is closed only after they end. */
  inflight: number
  sealed: boolean
  broken: boolean
  lastWrite: number
  drained: Array<() => void>
}

export class GroupCommit {
  readonly #dir: string
  readonly #options: WalOptions
  readonly #syncEvery: number
  /** Told the bytes of records a failed write refused, which the log had counted as appended. */
  readonly #refused: (bytes: number) => void
  #queue: Pending[] = []
  #writing: Promise<void> | undefined
  #draining = false

  constructor(options: WalOptions, refused: (bytes: number) => void) {
    this.#dir = options.dir
    this.#options = options
    this.#syncEvery = options.syncIntervalMs ?? 0
    this.#refused = refused
  }

  /** The drain in progress, or the last one. */
  get writing(): Promise<void> | undefined {
    return this.#writing
  }

  add(item: Pending): void {
    this.#queue.push(item)
    if (!this.#draining) {
      this.#draining = true
      this.#writing = this.#drain()
    }
  }

  async #drain(): Promise<void> {
    // Started on the next turn of the event loop, so the requests that arrived together share it.
    await new Promise<void>((resolve) => setImmediate(resolve))
    for (;;) {
      // Checked and cleared in one synchronous step: an append after this starts a new drain.
      if (this.#queue.length === 0) {
        this.#draining = false
        return
      }
      const queue = this.#queue
      this.#queue = []
      // Usually one batch; two when the batch was sealed while appends were queued.
      const groups = new Map<OpenBatch, Pending[]>()
      for (const item of queue) {
        const group = groups.get(item.batch)
        if (group) group.push(item)
        else groups.set(item.batch, [item])
      }
      for (const [batch, items] of groups) await this.#commit(batch, items)
    }
  }

  /**
   * One group's write. The write itself is synchronous: appending a few kilobytes to the page
   * cache takes microseconds, less than handing it to the thread pool and waiting for the answer
   * would (measured: 6 against 46 µs of CPU per write). Only an fsync, which waits for the disk,
   * goes to the thread pool.
   */
  async #commit(batch: OpenBatch, items: Pending[]): Promise<void> {
    const bytes = items.reduce((sum, item) => sum + item.record.length, 0)
    const started = performance.now()
    let error: Error | undefined
    if (batch.broken) {
      error = new WalError('io', 'the write-ahead log file failed earlier')
    } else {
      try {
        batch.fd ??= openSync(batch.path, 'wx', 0o600)
        const buffer =
          items.length === 1 ? (items[0] as Pending).record : Buffer.concat(items.map((item) => item.record))
        let written = 0
        while (written < buffer.length) {
          written += writeSync(batch.fd, buffer, written, buffer.length - written, batch.bytes + written)
        }
        if (this.#syncEvery === 0) await this.#flushToDisk(batch, batch.bytes + buffer.length)
      } catch (cause) {
        batch.broken = true
        // Cut off whatever part of these records reached the file, so a replay finds only whole
        // records that were acknowledged. If even that fails, the checksums still reject them.
        if (batch.fd !== undefined) {
          try {
            ftruncateSync(batch.fd, batch.bytes)
          } catch {}
        }
        const reason = cause as NodeJS.ErrnoException
        error = new WalError('io', `cannot write the write-ahead log in ${this.#dir}: ${reason.message}`, {
          cause,
        })
        this.#options.onError?.(error)
      }
    }
    batch.inflight -= items.length
    if (error) {
      this.#refused(bytes)
      for (const item of items) item.reject(error)
    } else {
      batch.bytes += bytes
      batch.events += items.reduce((sum, item) => sum + item.events, 0)
      batch.lastWrite = Date.now()
      this.#options.onCommit?.(items.length, performance.now() - started)
      for (const item of items) item.resolve()
    }
    if (batch.inflight === 0) for (const resolve of batch.drained.splice(0)) resolve()
  }

  /** fdatasync of the file up to `bytes` written, and of its directory entry when it is new. */
  async #flushToDisk(batch: OpenBatch, bytes: number): Promise<void> {
    const fd = batch.fd
    if (fd !== undefined)
      await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())))
    if (batch.newEntry) {
      await syncDirectory(this.#dir)
      batch.newEntry = false
    }
    batch.synced = Math.max(batch.synced, bytes)
    this.#options.onSync?.()
  }

  /**
   * Fsyncs what a batch holds beyond its last fsync. The records are acknowledged already, so a
   * failure cannot refuse them: it is reported, and the batch takes no more appends.
   */
  async sync(batch: OpenBatch): Promise<void> {
    if (batch.fd === undefined || batch.synced >= batch.bytes) return
    batch.inflight++
    try {
      await this.#flushToDisk(batch, batch.bytes)
    } catch (cause) {
      batch.broken = true
      const reason = cause as NodeJS.ErrnoException
      this.#options.onError?.(
        new WalError('io', `cannot fsync the write-ahead log in ${this.#dir}: ${reason.message}`, { cause }),
      )
    } finally {
      batch.inflight--
      if (batch.inflight === 0) for (const resolve of batch.drained.splice(0)) resolve()
    }
  }
}
