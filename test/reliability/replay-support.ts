import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import type { BatchSink } from '../../collector/write-buffer/batcher.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { appliedBatches, type InsertPath, insertBatch } from '../../warehouse/insert-events.ts'
import { row } from '../support/rows.ts'
import { eventName } from './support.ts'

/** What the replay tests share: log directories, rows under a prefix, the real sink, counts. */

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
export const walDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-replay-'))
  dirs.push(dir)
  return dir
}

/**
 * The log as the next process finds it after this one died mid-insert: its files, in a directory
 * of their own. (The dead process's LOCK is a socket the kernel would close with it; in this
 * process it is still held, so the "next process" gets a copy without it.)
 */
export const afterCrash = (dir: string): string => {
  const next = walDir()
  for (const name of readdirSync(dir)) if (name !== 'LOCK') copyFileSync(join(dir, name), join(next, name))
  return next
}

export const rows = (prefix: string, n: number, from = 0): EventRow[] =>
  Array.from({ length: n }, (_, i) =>
    row({ path: `/${prefix}/${eventName(from + i)}`, visitor: String(i + 1) }),
  )

/** The collector's real sink over `warehouse` and its insert path. */
export const realSinkOf = (warehouse: Warehouse, path: InsertPath): BatchSink => ({
  prepare: async () => path,
  insert: (batch, signal) => insertBatch(warehouse, path, batch, signal),
  applied: (ids) => appliedBatches(warehouse, ids),
})

/** Pageviews (or `measure` of `table`) per path under `/prefix/`. */
export async function countsOf(
  warehouse: Warehouse,
  prefix: string,
  table = 'pages_daily',
  measure = 'pageviews',
): Promise<number[]> {
  const result = await warehouse.client.query({
    query: `SELECT path, sumMerge(${measure}) AS n FROM ${table} WHERE path LIKE '/${prefix}/%' GROUP BY path`,
    format: 'JSONEachRow',
  })
  return (await result.json<{ n: number }>()).map((r) => Number(r.n))
}
