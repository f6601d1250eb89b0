import { createKeyedBuckets } from './keyed-buckets.ts'

/**
 * Throttling of failed attempts (a wrong login or bearer token) per client. Each client has a
 * bucket of `burst` failures that refills at `perMinute`; a client whose bucket is empty is
 * refused before its attempt is even checked, so guessing slows to `perMinute` tries while a
 * client that gets its token right never spends anything.
 *
 * The buckets are the collector's rate limiter's (keyed-buckets.ts): the client is never kept,
 * and each process counts its own failures.
 */
export type FailureThrottle = {
  /** 0 when `client` may try, else the seconds until it may try again. */
  wait(client: string): number
  /** Counts one failed attempt of `client`. */
  failed(client: string): void
  /**
   * True when no client can be waiting: every bucket has refilled since the last failure. Lets a
   * caller skip working out who the client is (and hashing it) while nobody is guessing.
   */
  idle(): boolean
}

/** A failure throttle; `now` in milliseconds, injected for tests. */
export function createFailureThrottle(
  options: { burst?: number; perMinute?: number; maxClients?: number; now?: () => number } = {},
): FailureThrottle {
  const burst = options.burst ?? 10
  const perMinute = options.perMinute ?? 10
  const now = options.now ?? (() => performance.now())
  const buckets = createKeyedBuckets({
    capacity: burst,
    perMinute,
    ...(options.maxClients ? { maxClients: options.maxClients } : {}),
    now,
  })
  // A bucket refills from empty to full in this long; one that last spent longer ago is full.
  const refillMs = (burst / perMinute) * 60_000
  let lastFailure = Number.NEGATIVE_INFINITY
  return {
    wait: (client) => (buckets.tokens(client) >= 1 ? 0 : buckets.secondsUntil(client, 1)),
    failed: (client) => {
      lastFailure = now()
      buckets.spend(client, 1)
    },
    idle: () => now() - lastFailure > refillMs,
  }
}
