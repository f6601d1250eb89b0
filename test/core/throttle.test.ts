import { describe, expect, it } from 'vitest'
import { createFailureThrottle } from '../../core/throttle.ts'

describe('createFailureThrottle idle()', () => {
  it('is idle until a failure, and again only once every bucket can have refilled', () => {
    let now = 0
    // 10 failures refill at 10 a minute: a bucket emptied at t is full again at t + 60 s.
    const throttle = createFailureThrottle({ burst: 10, perMinute: 10, now: () => now })
    expect(throttle.idle()).toBe(true)
    for (let i = 0; i < 10; i++) throttle.failed('client')
    expect(throttle.idle()).toBe(false)
    expect(throttle.wait('client')).toBeGreaterThan(0)
    now = 59_999
    // Still not idle while the client may still be waiting for its last token.
    expect(throttle.idle()).toBe(false)
    now = 60_001
    expect(throttle.idle()).toBe(true)
    expect(throttle.wait('client')).toBe(0)
  })

  it('is never idle while some client still waits, whichever failed last', () => {
    let now = 0
    const throttle = createFailureThrottle({ burst: 2, perMinute: 1, now: () => now })
    throttle.failed('a')
    throttle.failed('a')
    now = 1000
    throttle.failed('b')
    // `a` waits until about 60 s for one token; idle only after `b`'s bucket too is full (121 s).
    for (const at of [1000, 60_000, 120_999]) {
      now = at
      expect(throttle.idle(), `at ${at}`).toBe(false)
    }
    now = 121_001
    expect(throttle.idle()).toBe(true)
    expect(throttle.wait('a')).toBe(0)
    expect(throttle.wait('b')).toBe(0)
  })
})
