import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { visitorHash } from '../../collector/visitor-hash.ts'
import { EventRow } from '../../schemas/row.ts'

const saltA = new Uint8Array(32).fill(1)
const saltB = new Uint8Array(32).fill(2)
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
const TWO_64 = 2n ** 64n

describe('visitorHash', () => {
  it('is deterministic for the same salt and inputs', () => {
    expect(visitorHash(saltA, 'shop', '203.0.113.1', UA)).toBe(visitorHash(saltA, 'shop', '203.0.113.1', UA))
  })

  it('matches an independently computed HMAC-SHA-256 over the length-prefixed fields', () => {
    const field = (s: string) => {
      const b = Buffer.from(s)
      return Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
    }
    const mac = createHmac('sha256', saltA)
      .update(Buffer.concat([field('shop'), field('1.2.3.4'), field('ua')]))
      .digest()
    expect(visitorHash(saltA, 'shop', '1.2.3.4', 'ua')).toBe(mac.readBigUInt64BE(0).toString())
  })

  it('changes with the salt, the site, the IP and the user agent', () => {
    const base = visitorHash(saltA, 'shop', '203.0.113.1', UA)
    const variants = [
      visitorHash(saltB, 'shop', '203.0.113.1', UA),
      visitorHash(saltA, 'shop2', '203.0.113.1', UA),
      visitorHash(saltA, 'shop', '203.0.113.2', UA),
      visitorHash(saltA, 'shop', '203.0.113.1', `${UA} `),
    ]
    expect(new Set([base, ...variants]).size).toBe(5)
  })

  it('keeps field boundaries apart', () => {
    expect(visitorHash(saltA, 'ab', 'c', 'd')).not.toBe(visitorHash(saltA, 'a', 'bc', 'd'))
    expect(visitorHash(saltA, 'a', 'b', 'cd')).not.toBe(visitorHash(saltA, 'a', 'bc', 'd'))
    expect(visitorHash(saltA, 'a\0', 'b', 'c')).not.toBe(visitorHash(saltA, 'a', '\0b', 'c'))
  })

  it('never collides for different splits of the same concatenation', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.nat(), (a, b, c, cut) => {
        const joined = a + b
        const at = cut % (joined.length + 1)
        fc.pre(at !== a.length)
        return visitorHash(saltA, a, b, c) !== visitorHash(saltA, joined.slice(0, at), joined.slice(at), c)
      }),
    )
  })

  it('returns an unsigned 64-bit decimal string the event row accepts', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.string(),
        fc.string(),
        fc.string(),
        (s, a, b, c) => {
          const hash = visitorHash(s, a, b, c)
          expect(hash).toMatch(/^(0|[1-9]\d{0,19})$/)
          expect(BigInt(hash) < TWO_64).toBe(true)
          expect(EventRow.shape.visitor.safeParse(hash).success).toBe(true)
        },
      ),
    )
  })

  it('spreads values over the whole 64-bit range', () => {
    const n = 20_000
    const buckets = new Array<number>(16).fill(0)
    let upperHalf = 0
    const seen = new Set<string>()
    for (let i = 0; i < n; i++) {
      const hash = visitorHash(saltA, 'shop', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, UA)
      seen.add(hash)
      const value = BigInt(hash)
      if (value >= 2n ** 63n) upperHalf++
      const top = Number(value >> 60n)
      buckets[top] = (buckets[top] ?? 0) + 1
    }
    expect(seen.size).toBe(n)
    // Unsigned reading: about half the values have the top bit set.
    expect(upperHalf / n).toBeGreaterThan(0.47)
    expect(upperHalf / n).toBeLessThan(0.53)
    const expected = n / 16
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
    // 15 degrees of freedom: 37.7 is the 0.999 quantile.
    expect(chiSquare).toBeLessThan(37.7)
  })

  it('refuses a salt too short to keep the IPs secret', () => {
    expect(() => visitorHash(new Uint8Array(8), 'shop', '1.2.3.4', UA)).toThrow(RangeError)
  })
})
