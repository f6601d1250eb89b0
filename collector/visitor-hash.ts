import { createHmac } from 'node:crypto'

// A short key would let anyone holding a day's hashes brute-force the salt and then the IPs.
const MIN_SALT_BYTES = 16

/**
 * The daily visitor id: HMAC-SHA-256 under the day's salt, cut to 64 bits (enough for
 * `uniqCombined` counting, and all that an unsigned 64-bit column holds), as a decimal string.
 * Each field is length-prefixed so ('ab', 'c') and ('a', 'bc') cannot produce the same input.
 */
export const visitorHash = (salt: Uint8Array, site: string, ip: string, userAgent: string): string => {
  if (salt.length < MIN_SALT_BYTES) throw new RangeError(`salt must be at least ${MIN_SALT_BYTES} bytes`)
  const mac = createHmac('sha256', salt)
  for (const field of [site, ip, userAgent]) {
    const bytes = Buffer.from(field, 'utf8')
    const length = Buffer.allocUnsafe(4)
    length.writeUInt32BE(bytes.length)
    mac.update(length).update(bytes)
  }
  return mac.digest().readBigUInt64BE(0).toString()
}
