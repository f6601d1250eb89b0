import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The salts a collector may need while its warehouse is away: today's and tomorrow's, as the
 * warehouse gave them, one file per day in `<DATA_DIR>/salts/` (`2026-12-07.salt`, hex, readable
 * by this user only). The warehouse stays the source: a salt is written here only after it was
 * read from (or created in) the warehouse, so collectors that share a warehouse hash with the
 * same salt even while it is down. A day's file is deleted once its day is over, so a cached
 * salt lives at most from the day before its day (when it is created ahead) to its end: 48 hours.
 */
export type SaltCache = {
  readonly dir: string
  read(day: string): Uint8Array | undefined
  write(day: string, salt: Uint8Array): void
  /** Deletes every cached salt of a day before `day`; returns the days it deleted. */
  prune(day: string): string[]
  /** The days that have a cached salt, oldest first. */
  days(): string[]
}

const FILE = /^(\d{4}-\d{2}-\d{2})\.salt$/
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A cache in `dir` (created on first write, mode 0700). */
export function createSaltCache(dir: string): SaltCache {
  const path = (day: string) => {
    // Days come from the clock (utcDay); checked anyway, since they become file names.
    if (!DAY.test(day)) throw new RangeError(`not a day: ${JSON.stringify(day)}`)
    return join(dir, `${day}.salt`)
  }
  const cache: SaltCache = {
    dir,
    read(day) {
      try {
        const hex = readFileSync(path(day), 'utf8').trim()
        return /^[0-9a-f]{64,}$/.test(hex) ? Uint8Array.from(Buffer.from(hex, 'hex')) : undefined
      } catch {
        return undefined
      }
    },
    write(day, salt) {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      // Written whole under another name, then renamed: a reader never sees half a salt, and
      // several processes on one DATA_DIR (WORKERS) write the same value.
      const partial = `${path(day)}.${process.pid}.tmp`
      writeFileSync(partial, Buffer.from(salt).toString('hex'), { mode: 0o600 })
      chmodSync(partial, 0o600)
      renameSync(partial, path(day))
    },
    prune(day) {
      const gone = cache.days().filter((cached) => cached < day)
      for (const old of gone) rmSync(path(old), { force: true })
      return gone
    },
    days() {
      try {
        return readdirSync(dir)
          .map((name) => FILE.exec(name)?.[1])
          .filter((day): day is string => day !== undefined)
          .sort()
      } catch {
        return []
      }
    },
  }
  return cache
}
