import { createHmac, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/**
 * Token buckets per client, the one mechanism behind the collector's rate limit and the
 * throttling of wrong tokens. Each client's bucket holds at most `capacity` tokens and refills
 * continuously at `perMinute`.
 *
 * The client (an address, or its /64) is never kept: a bucket's key is an HMAC of it under a
 * random key that lives only in this process's memory, so the table cannot be turned back into
 * addresses, not even by reading the process's memory without the key, and nothing of it outlives
 * the process. At most `maxClients` buckets are kept, least recently used first out (a dropped
 * bucket comes back full). Each process keeps its own: with `WORKERS` > 1 or several hosts a
 * client has that many buckets.
 *
 * @example
 * const buckets = createKeyedBuckets({ capacity: 10, perMinute: 10 })
 * if (!buckets.take(address, 1)) answer429(buckets.secondsUntil(address, 1))
 */
export type KeyedBuckets = {
  /** The tokens `client` holds now. */
  tokens(client: string): number
  /** Takes `cost` tokens; false, taking nothing, when the client holds fewer. */
  take(client: string, cost: number): boolean
  /** Takes up to `cost` tokens, leaving at least none. */
  spend(client: string, cost: number): void
  /** Seconds until `client` holds `cost` tokens (at most the capacity); at least 1. */
  secondsUntil(client: string, cost: number): number
  /** Buckets in memory. */
  readonly size: number
}

type Bucket = { tokens: number; at: number }

/** `now` in milliseconds, injected for tests. */
export function createKeyedBuckets(options: {
  capacity: number
  perMinute: number
  maxClients?: number
  now?: () => number
}): KeyedBuckets {
  const { capacity } = options
  const perMs = options.perMinute / 60_000
  const now = options.now ?? (() => performance.now())
  const key = randomBytes(32)
  const buckets = new LRUCache<string, Bucket>({ max: options.maxClients ?? 100_000 })
  const idOf = (client: string) => createHmac('sha256', key).update(client).digest('base64url').slice(0, 22)

  const refill = (id: string): Bucket => {
    const at = now()
    const bucket = buckets.get(id)
    if (!bucket) return { tokens: capacity, at }
    return { tokens: Math.min(capacity, bucket.tokens + (at - bucket.at) * perMs), at }
  }

  return {
    tokens: (client) => refill(idOf(client)).tokens,
    take(client, cost) {
      const id = idOf(client)
      const bucket = refill(id)
      const enough = bucket.tokens >= cost
      if (enough) bucket.tokens -= cost
      buckets.set(id, bucket)
      return enough
    },
    spend(client, cost) {
      const id = idOf(client)
      const bucket = refill(id)
      bucket.tokens = Math.max(0, bucket.tokens - cost)
      buckets.set(id, bucket)
    },
    secondsUntil(client, cost) {
      const missing = Math.min(cost, capacity) - refill(idOf(client)).tokens
      return Math.max(1, Math.ceil(missing / perMs / 1000))
    },
    get size() {
      return buckets.size
    },
  }
}
