import { hash, randomBytes } from 'node:crypto'
import { VISITORS_NOW_MINUTES } from '../schemas/constants.ts'
import type { EventRow } from '../schemas/row.ts'
import { createNumberSet, type NumberSet } from './number-set.ts'

/**
 * "Visitors now": distinct visitors of a site over the last few minutes, in this process's memory
 * only (docs/engagement.md, "Visitors now"). Nothing here is written to the warehouse, the
 * write-ahead log or a log line, and only counts leave it.
 *
 * What is kept is not the daily visitor hash but a keyed hash of it under a key drawn at start and
 * never stored, cut to 48 bits (a number: 16–32 bytes an entry in a number-set.ts table, where a
 * set of strings held about 60), in one set per site and minute; a set is dropped as soon as its
 * minute leaves the window, so a visitor is forgotten at most `minutes` after their last event.
 * A set holds at most `maxPerMinute` entries (past that, more visitors are not counted: the count
 * errs low and memory stays bounded under a flood).
 *
 * Per process: with WORKERS > 1 or several collectors each process counts the visitors whose
 * events it received, and the read API answers with the count of the process that serves the
 * request. Counts are not summed across processes (a sum would count a visitor twice).
 */
export type VisitorsNow = {
  /** Notes the visitors of rows just accepted. */
  record(rows: readonly EventRow[]): void
  /** Distinct visitors of `site` over the window ending now. */
  count(site: string): number
  /** The window, in minutes. */
  readonly minutes: number
}

const MAX_PER_MINUTE = 100_000

/** A counter of recent visitors for one process; `now` is injected for tests. */
export function createVisitorsNow(
  options: { now?: () => Date; minutes?: number; maxPerMinute?: number } = {},
): VisitorsNow {
  const now = options.now ?? (() => new Date())
  const minutes = options.minutes ?? VISITORS_NOW_MINUTES
  const maxPerMinute = options.maxPerMinute ?? MAX_PER_MINUTE
  // Keyed as keyed-memory.ts keys its entries: one-shot SHA-256 of a per-process key and the value.
  const key = randomBytes(32).toString('base64')
  // minute (epoch minutes) -> site -> keyed hashes seen in that minute
  const buckets = new Map<number, Map<string, NumberSet>>()

  const minuteOf = (date: Date) => Math.floor(date.getTime() / 60_000)
  const forgetBefore = (current: number) => {
    for (const minute of buckets.keys()) if (minute <= current - minutes) buckets.delete(minute)
  }

  return {
    minutes,
    record(rows) {
      const current = minuteOf(now())
      forgetBefore(current)
      let sites = buckets.get(current)
      if (!sites) {
        sites = new Map()
        buckets.set(current, sites)
      }
      // A request's rows are mostly one visitor's: hash each visitor once per call.
      let last = ''
      for (const row of rows) {
        const id = `${row.site}|${row.visitor}`
        if (id === last) continue
        last = id
        let seen = sites.get(row.site)
        if (!seen) {
          seen = createNumberSet()
          sites.set(row.site, seen)
        }
        // 48 bits: that two of a minute's 100,000 visitors share one has a chance of 1 in 56,000
        // (the count then errs low by one). 0 marks an empty place: a hash of 0 counts as 1.
        if (seen.size < maxPerMinute) seen.add(hash('sha256', key + id, 'buffer').readUIntBE(0, 6) || 1)
      }
    },
    count(site) {
      forgetBefore(minuteOf(now()))
      const union = createNumberSet()
      for (const sites of buckets.values())
        for (const hash of sites.get(site)?.values() ?? []) union.add(hash)
      return union.size
    },
  }
}
