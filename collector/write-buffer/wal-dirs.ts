import { readdirSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Batcher, type BatcherOptions, createBatcher } from './batcher.ts'

/**
 * Where each process keeps its write-ahead log when the service runs as several (`WORKERS`): a
 * log has one owner, so worker n has a folder of its own. Worker 1 and a lone process share
 * `wal/`, so going from one process to several (or back) keeps that log where it was.
 */
export function walDirFor(dataDir: string, worker = 1): string {
  return resolve(dataDir, worker === 1 ? 'wal' : `wal-${worker}`)
}

/** Logs of workers the service no longer runs (`wal-<n>` with n above `workers`). */
export function orphanedWalDirs(dataDir: string, workers: number): string[] {
  let names: string[]
  try {
    names = readdirSync(dataDir)
  } catch {
    return []
  }
  return names
    .filter((name) => {
      const worker = /^wal-([1-9][0-9]*)$/.exec(name)?.[1]
      return worker !== undefined && Number(worker) > workers
    })
    .sort()
    .map((name) => resolve(dataDir, name))
}

export type OrphanedLog = {
  /** Stops (for the service's shutdown): what is not written stays for the next start. */
  close(deadlineMs?: number): Promise<void>
}

/**
 * Sends what a worker that is no longer configured left in its log (events it answered 202 for)
 * to the warehouse, then removes the folder. Nothing is appended to such a log; it is retried
 * like any other until the warehouse takes it.
 */
export function drainOrphanedLog(
  options: Omit<BatcherOptions, 'maxBatch' | 'syncIntervalMs'> & { pollMs?: number },
): OrphanedLog {
  const batcher: Batcher = createBatcher(options)
  let closing = false
  let closed: Promise<void> | undefined
  const close = (deadlineMs?: number) => {
    closing = true
    closed ??= batcher.close(deadlineMs)
    return closed
  }
  // Until the log is in the warehouse, then its folder goes; on close, the rest stays for later.
  void (async () => {
    while (!closing) {
      await batcher.flush()
      if (batcher.stats.backlogBatches === 0) break
      // The batcher retries the failed head on its own backoff; look again a little later.
      await new Promise((wait) => setTimeout(wait, options.pollMs ?? 5_000).unref())
    }
    if (closing) return
    await close()
    rmSync(options.dir, { recursive: true, force: true })
  })()
  return { close }
}
