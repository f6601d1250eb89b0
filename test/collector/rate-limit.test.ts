import { describe, expect, it } from 'vitest'
import { clientPrefix, createRateLimiter } from '../../collector/rate-limit.ts'

describe('the rate limiter', () => {
  it('allows a minute of events at once, then the rate, per client', () => {
    let now = 0
    const limiter = createRateLimiter({ perMinute: 60, now: () => now })
    expect(limiter.take('198.51.100.7', 60)).toBe(true)
    expect(limiter.take('198.51.100.7', 1)).toBe(false)
    expect(limiter.retryAfter('198.51.100.7', 1)).toBe(1)
    expect(limiter.take('198.51.100.8', 1)).toBe(true)
    now += 1_000
    expect(limiter.take('198.51.100.7', 1)).toBe(true)
    expect(limiter.take('198.51.100.7', 1)).toBe(false)
    now += 120_000
    expect(limiter.take('198.51.100.7', 60)).toBe(true)
  })

  it('counts an IPv6 client by its /64 and keeps a bounded number of clients', () => {
    expect(clientPrefix('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(clientPrefix('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64')
    expect(clientPrefix('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientPrefix('203.0.113.5')).toBe('203.0.113.5')
    const limiter = createRateLimiter({ perMinute: 10, maxClients: 100 })
    expect(limiter.take('2001:db8:1:2::1', 10)).toBe(true)
    expect(limiter.take('2001:db8:1:2::ffff', 1)).toBe(false)
    for (let n = 0; n < 1_000; n++) limiter.take(`10.0.${n >> 8}.${n & 255}`, 1)
    expect(limiter.clients).toBe(100)
  })
})
