import { isIP } from 'node:net'
import { createKeyedBuckets } from '../core/keyed-buckets.ts'

/**
 * Per-client rate limit: `perMinute` events per minute for each client, as a token bucket that
 * holds at most a minute's worth and refills continuously, so a client may burst to the limit
 * and then sends at its rate.
 *
 * A client is its address (an IPv6 address by its /64, the block one subscriber gets), and the
 * address is never kept: the buckets (core/keyed-buckets.ts) are keyed by an HMAC of it under a
 * key that lives only in this process's memory.
 */
export type RateLimiter = {
  /** Takes `cost` events from the client's bucket; false (taking nothing) when it has too few. */
  take(ip: string, cost: number): boolean
  /** Seconds until the client's bucket holds `cost` events. */
  retryAfter(ip: string, cost: number): number
  readonly clients: number
}

export function createRateLimiter(options: {
  perMinute: number
  maxClients?: number
  now?: () => number
}): RateLimiter {
  // A bucket holds at most a minute's worth.
  const buckets = createKeyedBuckets({ capacity: options.perMinute, ...options })
  return {
    take: (ip, cost) => buckets.take(clientPrefix(ip), cost),
    retryAfter: (ip, cost) => buckets.secondsUntil(clientPrefix(ip), cost),
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
