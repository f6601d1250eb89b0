import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { utcDay } from '../core/clock.ts'
import type { Warehouse } from './client.ts'
import { alterTarget } from './cluster-tables.ts'
import type { SaltCache } from './salt-cache.ts'

/**
 * The visitor-hash salts: the one module that owns the `salts` table. It creates a day's salt,
 * reads and caches it, rotates (destroys every salt older than yesterday) and makes a process
 * forget the salts that rotation destroyed. Once a day's salt is gone, nobody, including us, can
 * recompute a visitor hash of that day, so its sketches cannot be linked to a person or to
 * another day.
 *
 * Today's salt is shared by every collector through the warehouse and cached in memory for the
 * day. When two instances create a salt for the same day at once, both keep the one that was
 * created first, so they hash the same visitor identically: an instance that had to create one
 * reads the table again a moment later (`settleMs`), so a salt another instance wrote just after
 * this one's first read, with a clock a little behind, is seen. On a cluster `salts` is a
 * Distributed table whose rows of one day sit on one shard, read by every collector on every
 * node; inserts return once the shard has the row.
 *
 * So that visitors can be hashed while a warehouse server is away, a store given a `cache` creates
 * tomorrow's salt a day ahead in its rotation (which runs at start, once the warehouse is there, and
 * at midnight) and keeps today's and tomorrow's salts on disk too (salt-cache.ts) as the warehouse gave them:
 * when the warehouse cannot be read, a day's salt comes from there. Disk copies are deleted when
 * their day ends; the warehouse keeps a day's salt until the day after it ends, as before.
 *
 * @example
 * const salts = createSaltStore(warehouse)
 * const salt = await salts.forDay(utcDay(new Date()))
 * // at 00:00 UTC, from the job list:
 * await salts.rotate(new Date())
 */
export type SaltStore = {
  forDay(day: string): Promise<Uint8Array>
  /** Forgets every cached salt but the given day's, so an old one cannot outlive its day here. */
  evictBefore(day: string): void
  /**
   * Makes sure today's salt exists and destroys every salt older than yesterday, in the
   * warehouse and in this process. Idempotent, and safe on several instances.
   */
  rotate(now: Date): Promise<{ today: string; dropped: string[] }>
  /**
   * Drops every salt older than yesterday from this process's memory, as `rotate` does once it has
   * destroyed them in the warehouse. With WORKERS, the other workers run only this, at the same
   * hour, so none of them keeps a destroyed salt in memory until its next event.
   */
  forget(now: Date): void
}

export const SALT_BYTES = 32

/** A fresh random salt; the source is injectable so rotation can be tested deterministically. */
export const newSalt = (randomBytes: (n: number) => Uint8Array = cryptoRandomBytes): Uint8Array => {
  const salt = randomBytes(SALT_BYTES)
  if (salt.length !== SALT_BYTES)
    throw new RangeError(`random source returned ${salt.length} bytes, not ${SALT_BYTES}`)
  return salt
}

type SaltRow = { day: string; salt: string; created_at: string }

// No query parameters here: this runs on every ClickHouse the collector may insert into, and
// the table holds at most two days, so the choice is made in code.
const READ = 'SELECT toString(day) AS day, salt, toString(created_at) AS created_at FROM salts'
const PARTITIONS = 'SELECT DISTINCT toString(toYYYYMMDD(day)) AS partition FROM salts'

/** How long an instance that created a salt waits before reading which salt won. */
export const SETTLE_MS = 500

const DAY_MS = 86_400_000
const yesterday = (now: Date) => utcDay(new Date(now.getTime() - DAY_MS))
const tomorrow = (now: Date) => utcDay(new Date(now.getTime() + DAY_MS))

export function createSaltStore(
  warehouse: Warehouse,
  options: {
    now?: () => Date
    random?: (n: number) => Uint8Array
    settleMs?: number
    /** Where today's and tomorrow's salts are kept for when the warehouse cannot be read. */
    cache?: SaltCache
  } = {},
): SaltStore {
  const now = options.now ?? (() => new Date())
  const settleMs = options.settleMs ?? SETTLE_MS
  const cache = new Map<string, Promise<Uint8Array>>()
  const disk = options.cache

  const fromWarehouse = async (day: string): Promise<Uint8Array> => {
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

  const load = async (day: string): Promise<Uint8Array> => {
    const today = utcDay(now())
    disk?.prune(today)
    let salt: Uint8Array
    try {
      salt = await fromWarehouse(day)
    } catch (error) {
      const cached = day >= today ? disk?.read(day) : undefined
      if (cached) return cached
      throw error
    }
    if (disk && day >= today && day <= tomorrow(now())) disk.write(day, salt)
    return salt
  }

  const store: SaltStore = {
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
    async rotate(at) {
      const today = utcDay(at)
      // The disk copies first: this must hold even when the warehouse cannot be reached.
      disk?.prune(today)
      await store.forDay(today)
      // Tomorrow's salt a day ahead, so that a warehouse gone at midnight does not stop hashing.
      if (disk) await store.forDay(tomorrow(at))
      const dropped = await dropPartitionsBefore(warehouse, Number(yesterday(at).replaceAll('-', '')))
      store.forget(at)
      return { today, dropped }
    },
    forget(at) {
      store.evictBefore(yesterday(at))
      disk?.prune(utcDay(at))
    },
  }
  return store
}

async function readSalt(warehouse: Warehouse, day: string): Promise<Uint8Array | undefined> {
  const rows = await (await warehouse.client.query({ query: READ, format: 'JSONEachRow' })).json<SaltRow>()
  const first = rows
    .filter((row) => row.day === day)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.salt.localeCompare(b.salt))[0]
  return first ? Uint8Array.from(Buffer.from(first.salt, 'hex')) : undefined
}

/**
 * The days are read from the rows, through the Distributed table on a cluster, since a day's salt
 * may live on another shard; the drop then goes to every shard's local table.
 */
async function dropPartitionsBefore(warehouse: Warehouse, oldestKept: number): Promise<string[]> {
  const partitions = await (await warehouse.client.query({ query: PARTITIONS, format: 'JSONEachRow' })).json<{
    partition: string
  }>()
  const dropped: string[] = []
  for (const { partition } of partitions) {
    // Partitions are `toYYYYMMDD(day)`. A partition expression cannot be a query parameter on
    // every supported ClickHouse, so the value, read from the warehouse's own catalogue, is
    // checked to be an eight-digit integer before it is written into the statement.
    if (!/^\d{8}$/.test(partition) || Number(partition) >= oldestKept) continue
    await warehouse.client.command({
      query: `ALTER TABLE ${alterTarget(warehouse, 'salts')} DROP PARTITION ${Number(partition)}`,
    })
    dropped.push(partition)
  }
  return dropped
}
