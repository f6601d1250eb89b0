import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { backoff, createBatcher, shouldSkip } from '../../collector/write-buffer/batcher.ts'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-batcher-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('the write buffer', () => {
  it('answers full with a Retry-After once the log is at SPOOL_MAX_MB, and keeps what it took', async () => {
    const batcher = createBatcher({
      dir: tempDir(),
      maxBytes: 4_000,
      intervalMs: 60_000,
      sink: {
        prepare: () => Promise.reject(new Error('warehouse down')),
        insert: () => Promise.reject(new Error('unreachable')),
        applied: async () => new Set(),
      },
    })
    const row = { hour: '2026-01-01 00:00:00', path: '/x' } as never
    const results = []
    for (let n = 0; n < 100; n++) results.push(await batcher.offer([row]))
    expect(results[0]).toEqual({ ok: true })
    expect(results.at(-1)).toEqual({ ok: false, reason: 'full', retryAfter: 30 })
    const taken = results.filter((result) => result.ok).length
    expect(batcher.buffered).toBe(taken)
    expect(batcher.healthy).toBe(false)
    await batcher.close(0)
  })

  it('on close, inserts the batch it seals even when its idle wait ends during that seal', async () => {
    // The seal at close fsyncs the open file; an idle loop whose wait (FLUSH_INTERVAL_MS) ended
    // meanwhile once saw nothing queued, took "closing" for "done" and left the batch in the log.
    const row = { hour: '2026-01-01 00:00:00', path: '/x' } as never
    let left = 0
    for (let round = 0; round < 150; round++) {
      const dir = tempDir()
      let inserted = 0
      const batcher = createBatcher({
        dir,
        maxBytes: 1 << 20,
        intervalMs: 1,
        syncIntervalMs: 60_000,
        sink: {
          prepare: async () => ({ tokens: false }),
          insert: async () => {
            inserted++
          },
          applied: async () => new Set(),
        },
      })
      await new Promise((resolve) => setTimeout(resolve, 5))
      await batcher.offer([row])
      await batcher.close()
      if (inserted === 0 || readdirSync(dir).some((name) => name.endsWith('.wal'))) left++
    }
    expect(left).toBe(0)
  })

  it('backs off exponentially with jitter, up to 30 s', () => {
    expect(backoff(1, () => 0)).toBe(125)
    expect(backoff(1, () => 1)).toBe(250)
    expect(backoff(3, () => 1)).toBe(1_000)
    expect(backoff(20, () => 1)).toBe(30_000)
    expect(backoff(20, () => 0)).toBe(15_000)
  })

  it('skips a batch the ledger knows unless its token can still deduplicate it', () => {
    expect(shouldSkip(false, true, 0)).toBe(false)
    expect(shouldSkip(true, true, 1_000)).toBe(false)
    expect(shouldSkip(true, true, 11 * 60_000)).toBe(true)
    expect(shouldSkip(true, false, 0)).toBe(true)
    expect(shouldSkip(false, false, 0)).toBe(false)
  })
})
