import { createHmac, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/**
 * Throttling of failed attempts (a wrong login or bearer token) per client. Each client has a
 * bucket of `burst` failures that refills at `perMinute`; a client whose bucket is empty is
 * refused before its attempt is even checked, so guessing slows to `perMinute` tries while a
 * client that gets its token right never spends anything.
 *
 * As in the collector's rate limiter, the client (an address, or its /64) is never kept: the
 * bucket's key is an HMAC under a random key that lives only in this process's memory, and at
 * most `maxClients` buckets are kept, least recently used first out. Each process counts its own
 * failures, so with `WORKERS` > 1 or several hosts a client gets that many buckets.
 */
export type FailureThrottle = {
  /** 0 when `client` may try, else the seconds until it may try again. */
  wait(client: string): number
  /** Counts one failed attempt of `client`. */
  failed(client: string): void
}

type Bucket = { tokens: number; at: number }

/** A failure throttle; `now` in milliseconds, injected for tests. */
export function createFailureThrottle(
  options: { burst?: number; perMinute?: number; maxClients?: number; now?: () => number } = {},
): FailureThrottle {
  const burst = options.burst ?? 10
  const perMs = (options.perMinute ?? 10) / 60_000
  const now = options.now ?? (() => performance.now())
  const key = randomBytes(32)
  const buckets = new LRUCache<string, Bucket>({ max: options.maxClients ?? 100_000 })
  const id = (client: string) => createHmac('sha256', key).update(client).digest('base64url').slice(0, 22)
  const current = (bucketId: string): Bucket => {
    const at = now()
    const bucket = buckets.get(bucketId)
    if (!bucket) return { tokens: burst, at }
    return { tokens: Math.min(burst, bucket.tokens + (at - bucket.at) * perMs), at }
  }
  return {
    wait(client) {
      const bucket = current(id(client))
      return bucket.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000))
    },
    failed(client) {
      const bucketId = id(client)
      const bucket = current(bucketId)
      bucket.tokens = Math.max(0, bucket.tokens - 1)
      buckets.set(bucketId, bucket)
    },
  }
}
