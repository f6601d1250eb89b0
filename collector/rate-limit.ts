import { createHmac, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { LRUCache } from 'lru-cache'

/**
 * Per-client rate limit: `perMinute` events per minute for each client, as a token bucket that
 * holds at most a minute's worth and refills continuously, so a client may burst to the limit
 * and then sends at its rate.
 *
 * A client is its address (an IPv6 address by its /64, the block one subscriber gets), and the
 * address is never kept: the bucket's key is an HMAC of it under a random key that lives only in
 * this process's memory, so the table cannot be turned back into addresses, not even by reading
 * the process's memory without the key, and nothing of it outlives the process. At most
 * `maxClients` buckets are kept, least recently used first out (a dropped bucket comes back full,
 * which is what an idle client's bucket is after a minute anyway).
 */
export type RateLimiter = {
  /** Takes `cost` events from the client's bucket; false (taking nothing) when it has too few. */
  take(ip: string, cost: number): boolean
  /** Seconds until the client's bucket holds `cost` events. */
  retryAfter(ip: string, cost: number): number
  readonly clients: number
}

type Bucket = { tokens: number; at: number }

export function createRateLimiter(options: {
  perMinute: number
  maxClients?: number
  now?: () => number
}): RateLimiter {
  const capacity = options.perMinute
  const perMs = capacity / 60_000
  const now = options.now ?? (() => performance.now())
  const key = randomBytes(32)
  const buckets = new LRUCache<string, Bucket>({ max: options.maxClients ?? 100_000 })

  const clientKey = (ip: string) =>
    createHmac('sha256', key).update(clientPrefix(ip)).digest('base64url').slice(0, 22)

  const refill = (id: string): Bucket => {
    const at = now()
    const bucket = buckets.get(id)
    if (!bucket) return { tokens: capacity, at }
    return { tokens: Math.min(capacity, bucket.tokens + (at - bucket.at) * perMs), at }
  }

  return {
    take(ip, cost) {
      const id = clientKey(ip)
      const bucket = refill(id)
      if (bucket.tokens < cost) {
        buckets.set(id, bucket)
        return false
      }
      bucket.tokens -= cost
      buckets.set(id, bucket)
      return true
    },
    retryAfter(ip, cost) {
      const bucket = refill(clientKey(ip))
      const missing = Math.min(cost, capacity) - bucket.tokens
      return Math.max(1, Math.ceil(missing / perMs / 1000))
    },
    get clients() {
      return buckets.size
    },
  }
}

/** The part of an address that names a client: all of IPv4, the first 64 bits of IPv6. */
export function clientPrefix(ip: string): string {
  if (isIP(ip) !== 6) return ip
  const [head = '', tail = ''] = ip.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`
}
