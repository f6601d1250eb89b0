import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { visitorHash } from '../../collector/visitor-hash.ts'

// What visitorHash computed with one Hmac object per event, before it hashed in two one-shot steps.
function reference(salt: Uint8Array, site: string, ip: string, userAgent: string): string {
  const mac = createHmac('sha256', salt)
  for (const field of [site, ip, userAgent]) {
    const bytes = Buffer.from(field, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    mac.update(length).update(bytes)
  }
  return mac.digest().readBigUInt64BE(0).toString()
}

describe('visitorHash as two one-shot hashes', () => {
  it("gives createHmac's answer for any salt of 16 to 200 bytes and any fields", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ unit: 'binary' })),
        fc.string({ unit: 'binary', maxLength: 600 }),
        (salt, site, ip, ua) => {
          expect(visitorHash(salt, site, ip, ua)).toBe(reference(salt, site, ip, ua))
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('keeps each salt apart when salts alternate, and follows a salt changed in place', () => {
    const a = new Uint8Array(32).fill(7)
    const b = new Uint8Array(65).fill(9)
    for (let i = 0; i < 3; i++) {
      expect(visitorHash(a, 'shop', '203.0.113.1', 'ua')).toBe(reference(a, 'shop', '203.0.113.1', 'ua'))
      expect(visitorHash(b, 'shop', '203.0.113.1', 'ua')).toBe(reference(b, 'shop', '203.0.113.1', 'ua'))
    }
    a.fill(8)
    expect(visitorHash(a, 'shop', '203.0.113.1', 'ua')).toBe(reference(a, 'shop', '203.0.113.1', 'ua'))
  })
})
