import { hash } from 'node:crypto'

// A short key would let anyone holding a day's hashes brute-force the salt and then the IPs.
const MIN_SALT_BYTES = 16
// SHA-256's block: HMAC pads its key to this many bytes.
const BLOCK = 64

type PaddedKey = { salt: Buffer; inner: Buffer; outer: Buffer }

// The salt's two padded keys, made once per salt rather than once per event (building an Hmac
// object per event cost more than its hashing). Held as long as the salt object itself is, no
// longer: the salt store's forgetting a day's salt forgets them too.
const padded = new WeakMap<Uint8Array, PaddedKey>()

function paddedKey(salt: Uint8Array): PaddedKey {
  let known = padded.get(salt)
  // A salt changed in place is a new key: its bytes are compared, not just the object.
  if (known === undefined || !known.salt.equals(salt)) {
    const key = salt.length > BLOCK ? hash('sha256', salt, 'buffer') : salt
    const inner = Buffer.alloc(BLOCK, 0x36)
    const outer = Buffer.alloc(BLOCK, 0x5c)
    for (let i = 0; i < key.length; i++) {
      inner[i] = (inner[i] as number) ^ (key[i] as number)
      outer[i] = (outer[i] as number) ^ (key[i] as number)
    }
    known = { salt: Buffer.from(salt), inner, outer }
    padded.set(salt, known)
  }
  return known
}

/**
 * The daily visitor id: HMAC-SHA-256 under the day's salt, cut to 64 bits (enough for
 * `uniqCombined` counting, and all that an unsigned 64-bit column holds), as a decimal string.
 * Each field is length-prefixed so ('ab', 'c') and ('a', 'bc') cannot produce the same input.
 * HMAC is computed as RFC 2104 defines it, H(K ^ opad || H(K ^ ipad || message)), with two one-shot
 * hashes: the same bytes as `createHmac`, at less than half its cost per event.
 */
export const visitorHash = (salt: Uint8Array, site: string, ip: string, userAgent: string): string => {
  if (salt.length < MIN_SALT_BYTES) throw new RangeError(`salt must be at least ${MIN_SALT_BYTES} bytes`)
  const key = paddedKey(salt)
  const siteBytes = Buffer.byteLength(site, 'utf8')
  const ipBytes = Buffer.byteLength(ip, 'utf8')
  const uaBytes = Buffer.byteLength(userAgent, 'utf8')
  const message = Buffer.allocUnsafe(BLOCK + 12 + siteBytes + ipBytes + uaBytes)
  key.inner.copy(message, 0)
  let at = BLOCK
  at = message.writeUInt32BE(siteBytes, at)
  at += message.write(site, at, 'utf8')
  at = message.writeUInt32BE(ipBytes, at)
  at += message.write(ip, at, 'utf8')
  at = message.writeUInt32BE(uaBytes, at)
  message.write(userAgent, at, 'utf8')
  const outer = Buffer.allocUnsafe(BLOCK + 32)
  key.outer.copy(outer, 0)
  hash('sha256', message, 'buffer').copy(outer, BLOCK)
  return hash('sha256', outer, 'buffer').readBigUInt64BE(0).toString()
}
