import type { Warehouse } from '../warehouse/client.ts'
import { newSalt } from './visitor-hash.ts'

/**
 * Today's visitor-hash salt, shared by every collector through the warehouse's `salts` table
 * and cached in memory for the day. When two instances create a salt for the same day at once,
 * both keep the one that was created first, so they hash the same visitor identically: an
 * instance that had to create one reads the table again a moment later (`settleMs`), so a salt
 * another instance wrote just after this one's first read, with a clock a little behind, is seen.
 * On a cluster `salts` is a Distributed table whose rows of one day sit on one shard, read by
 * every collector on every node; inserts return once the shard has the row.
 */
export type SaltStore = {
  forDay(day: string): Promise<Uint8Array>
  /** Forgets every cached salt but the given day's, so an old one cannot outlive its day here. */
  evictBefore(day: string): void
}

type SaltRow = { day: string; salt: string; created_at: string }

// No query parameters here: this runs on every ClickHouse the collector may insert into, and
// the table holds at most two days, so the choice is made in code.
const READ = 'SELECT toString(day) AS day, salt, toString(created_at) AS created_at FROM salts'

/** How long an instance that created a salt waits before reading which salt won. */
export const SETTLE_MS = 500

export function createSaltStore(
  warehouse: Warehouse,
  options: { now?: () => Date; random?: (n: number) => Uint8Array; settleMs?: number } = {},
): SaltStore {
  const now = options.now ?? (() => new Date())
  const settleMs = options.settleMs ?? SETTLE_MS
  const cache = new Map<string, Promise<Uint8Array>>()

  const load = async (day: string): Promise<Uint8Array> => {
    const existing = await readSalt(warehouse, day)
    if (existing) return existing
    const salt = newSalt(options.random)
    const createdAt = now().toISOString().slice(0, 19).replace('T', ' ')
    await warehouse.client.insert({
      table: 'salts',
      format: 'JSONEachRow',
      values: [{ day, salt: Buffer.from(salt).toString('hex'), created_at: createdAt }],
    })
    await new Promise((resolve) => setTimeout(resolve, settleMs))
    return (await readSalt(warehouse, day)) ?? salt
  }

  return {
    forDay(day) {
      let salt = cache.get(day)
      if (!salt) {
        salt = load(day)
        cache.set(day, salt)
        // A failed read must not stick: the next request tries again.
        salt.catch(() => cache.delete(day))
      }
      return salt
    },
    evictBefore(day) {
      for (const cached of cache.keys()) if (cached < day) cache.delete(cached)
    },
  }
}

async function readSalt(warehouse: Warehouse, day: string): Promise<Uint8Array | undefined> {
  const rows = await (await warehouse.client.query({ query: READ, format: 'JSONEachRow' })).json<SaltRow>()
  const first = rows
    .filter((row) => row.day === day)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.salt.localeCompare(b.salt))[0]
  return first ? Uint8Array.from(Buffer.from(first.salt, 'hex')) : undefined
}
