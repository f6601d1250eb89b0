import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBatcher } from '../../collector/write-buffer/batcher.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { type InsertPath, insertBatch, prepareInsertPath } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { BACKENDS } from '../support/backends.ts'
import { afterCrash, countsOf, realSinkOf, rows, walDir } from './replay-support.ts'

/**
 * Replay of the write-ahead log against both ClickHouse versions, with the real insert path: a
 * batch that may already be in the warehouse (the process died between the insert and the
 * deletion of its file, or the insert's answer was lost) is never counted twice, and one that
 * never arrived is written. Where the two versions differ, the test states what each guarantees.
 */

describe.each(BACKENDS)('replay on $name', (backend) => {
  let warehouse: Warehouse
  let dispose: () => Promise<void>
  let path: InsertPath

  beforeAll(async () => {
    if (!backend.available) return
    ;({ warehouse, dispose } = await backend.open())
    await migrate(warehouse)
    path = await prepareInsertPath(warehouse)
  })
  afterAll(async () => {
    await dispose?.()
  })

  const realSink = () => realSinkOf(warehouse, path)
  const counts = (prefix: string, table?: string, measure?: string) =>
    countsOf(warehouse, prefix, table, measure)
  const total = async (prefix: string) => (await counts(prefix)).reduce((a, b) => a + b, 0)

  it.skipIf(!backend.available)('detects what the server can do: tokens from ClickHouse 22', () => {
    expect(path.tokens).toBe(Number(path.version.split('.')[0]) >= 22)
  })

  it.skipIf(!backend.available)(
    'a batch many times the size of one read of its file arrives whole, once',
    async () => {
      const prefix = 'large'
      const batcher = createBatcher({
        dir: walDir(),
        maxBytes: 64 << 20,
        intervalMs: 60_000,
        sink: realSink(),
      })
      // About 1 MB of rows: the log streams it to the warehouse in some sixteen 64 KB pieces.
      for (let i = 0; i < 20; i++)
        expect(await batcher.offer(rows(prefix, 100, i * 100))).toEqual({ ok: true })
      await batcher.flush()
      await batcher.close()
      expect(await counts(prefix)).toEqual(Array(2000).fill(1))
    },
  )

  it.skipIf(!backend.available).each([
    ['the deduplication token (a recent batch)', undefined],
    ['the ledger (an old batch)', 0],
  ])('a crash between the insert and the log truncation doubles nothing, via %s', async (_, horizon) => {
    const prefix = `crash${horizon ?? 't'}`
    const dir = walDir()
    const never = new Promise<void>(() => {})
    let inserted: () => void = () => {}
    const done = new Promise<void>((resolve) => {
      inserted = resolve
    })
    // The first process inserts the batch and "dies" before deleting its file.
    const crashing = createBatcher({
      dir,
      maxBytes: 64 << 20,
      intervalMs: 60_000,
      sink: {
        ...realSink(),
        insert: async (batch, signal) => {
          await insertBatch(warehouse, path, batch, signal)
          inserted()
          await never
        },
      },
    })
    for (let i = 0; i < 5; i++) expect(await crashing.offer(rows(prefix, 20, i * 20))).toEqual({ ok: true })
    void crashing.flush()
    // Once the insert has returned: a rollup that shows the rows may still be ahead of the ledger.
    await done
    expect(await total(prefix)).toBe(100)

    // The next process finds the batch in the log and replays it.
    const skipped: string[] = []
    const flushed: number[] = []
    const restarted = createBatcher({
      dir: afterCrash(dir),
      maxBytes: 64 << 20,
      intervalMs: 60_000,
      sink: realSink(),
      ...(horizon === undefined ? {} : { dedupHorizonMs: horizon }),
      on: { skipped: (batch) => skipped.push(batch.id), flushed: (events) => flushed.push(events) },
    })
    expect(restarted.buffered).toBe(100)
    await restarted.flush()
    expect(restarted.buffered).toBe(0)
    await restarted.close()
    expect(await counts(prefix)).toEqual(Array(100).fill(1))
    // Which mechanism answered: a recent batch is inserted again under its token where tokens
    // exist (and the warehouse drops it); otherwise the ledger says it is there.
    const byToken = path.tokens && horizon === undefined
    expect(skipped.length).toBe(byToken ? 0 : 1)
    expect(flushed).toEqual(byToken ? [100] : [])
  })

  it.skipIf(!backend.available)('an insert whose answer was lost is retried without doubling', async () => {
    const prefix = 'lost'
    let calls = 0
    const batcher = createBatcher({
      dir: walDir(),
      maxBytes: 64 << 20,
      intervalMs: 60_000,
      sink: {
        ...realSink(),
        insert: async (batch, signal) => {
          await insertBatch(warehouse, path, batch, signal)
          if (++calls === 1) throw new Error('socket hang up')
        },
      },
    })
    await batcher.offer(rows(prefix, 30))
    await batcher.flush() // fails once: the insert happened, its answer did not arrive
    expect(batcher.buffered).toBe(30)
    await batcher.flush()
    expect(batcher.buffered).toBe(0)
    await batcher.close()
    expect(await counts(prefix)).toEqual(Array(30).fill(1))
  })

  it.skipIf(!backend.available)(
    'an insert that never reached the warehouse is written on retry',
    async () => {
      const prefix = 'refused'
      let calls = 0
      const batcher = createBatcher({
        dir: walDir(),
        maxBytes: 64 << 20,
        intervalMs: 60_000,
        sink: {
          ...realSink(),
          insert: async (batch, signal) => {
            if (++calls === 1) throw new Error('connect ECONNREFUSED')
            await insertBatch(warehouse, path, batch, signal)
          },
        },
      })
      await batcher.offer(rows(prefix, 30))
      await batcher.flush()
      expect(batcher.stats.failures).toBe(1)
      await batcher.flush()
      await batcher.close()
      expect(await counts(prefix)).toEqual(Array(30).fill(1))
    },
  )

  it.skipIf(!backend.available)(
    'replays a large log in order, and measures it',
    async () => {
      const prefix = 'bulk'
      const dir = walDir()
      // The warehouse is "down" while the log fills.
      const down = createBatcher({
        dir,
        maxBytes: 256 << 20,
        intervalMs: 60_000,
        sink: { ...realSink(), prepare: () => Promise.reject(new Error('unreachable')) },
      })
      const perRequest = 50
      const requests = 1_000
      const appendStarted = performance.now()
      await Promise.all(
        Array.from({ length: requests }, (_, i) => down.offer(rows(prefix, perRequest, i * perRequest))),
      )
      const appendMs = performance.now() - appendStarted
      await down.close(0)
      const events = perRequest * requests

      const started = performance.now()
      const replay = createBatcher({ dir, maxBytes: 256 << 20, intervalMs: 60_000, sink: realSink() })
      expect(replay.buffered).toBe(events)
      await replay.flush()
      const ms = performance.now() - started
      expect(replay.buffered).toBe(0)
      await replay.close()
      expect(await total(prefix)).toBe(events)
      console.info(
        `[replay ${backend.name}] appended ${events} events in ${requests} requests in ${appendMs.toFixed(0)} ms; ` +
          `replayed ${events} events (${Math.ceil(events / 5000)} batches) in ${ms.toFixed(0)} ms`,
      )
    },
    120_000,
  )
})
