import { createCipheriv, createHash, createHmac, randomFillSync } from 'node:crypto'

/**
 * A source of independent uniform 32-bit words. Every sampler in `core/dp` draws only from this, so
 * privacy noise comes from `node:crypto` in production (`cryptoRandom`) and is reproducible in tests
 * (`seededRandom`); never from the engine's non-cryptographic generator.
 */
export interface RandomSource {
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number
}

const TWO_32 = 2 ** 32
const TWO_53 = 2 ** 53
/** Words per refill: 16 KiB of randomness per `randomFillSync` call amortises the syscall. */
const BLOCK_WORDS = 4096

/**
 * The production source: `crypto.randomFillSync` into a 16 KiB buffer, handed out one 32-bit word
 * at a time and refilled when used up. A draw is an array read; one refill serves 4,096 words.
 */
export function cryptoRandom(): RandomSource {
  const words = new Uint32Array(BLOCK_WORDS)
  let next = BLOCK_WORDS
  return {
    nextUint32() {
      if (next === BLOCK_WORDS) {
        randomFillSync(words)
        next = 0
      }
      return words[next++] as number
    },
  }
}

/** The AES-256-CTR keystream under a 32-byte key, as 32-bit words (a counter-mode generator). */
function keystream(key: Buffer): RandomSource {
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(BLOCK_WORDS * 4)
  let words = new Uint32Array(0)
  let next = 0
  return {
    nextUint32() {
      if (next === words.length) {
        const block = cipher.update(zeros)
        words = new Uint32Array(block.buffer, block.byteOffset, block.byteLength / 4)
        next = 0
      }
      return words[next++] as number
    },
  }
}

/**
 * A deterministic source for tests only: the AES-256-CTR keystream under the key SHA-256(seed), i.e.
 * AES applied to a counter, the standard counter-mode generator (NIST SP 800-90A CTR_DRBG without
 * reseeding). Anyone who knows the seed can replay it, so it must never produce published noise.
 */
export function seededRandom(seed: string): RandomSource {
  return keystream(createHash('sha256').update(`tally-dp-seed:${seed}`).digest())
}

/**
 * A source keyed by a secret and a label, for noise that must repeat (the same released cell asked
 * twice gets the same noise, so repetition cannot average it away): the AES-256-CTR keystream under
 * HMAC-SHA-256(secret, label). Without the secret its words are indistinguishable from uniform (AES
 * and HMAC as pseudorandom functions); distinct labels give independent-looking streams. The secret
 * must be at least 32 random bytes (e.g. `crypto.randomBytes(32)`) and never leave the process
 * that releases figures; whoever holds it can subtract the noise.
 */
export function keyedRandom(secret: Uint8Array, label: string): RandomSource {
  if (secret.byteLength < 32) throw new RangeError('keyedRandom: the secret must be at least 32 bytes')
  return keystream(createHmac('sha256', secret).update(label).digest())
}

/**
 * A uniform integer in [0, n), 1 ≤ n ≤ 2^53, without modulo bias: draw w uniform in [0, 2^b)
 * (b = 32, or 53 from two words when n > 2^32), reject w ≥ 2^b − (2^b mod n), return w mod n.
 * The accepted range is a multiple of n, so each residue has the same count of preimages; a draw is
 * rejected with probability < n / 2^b ≤ 1/2. All values are integers below 2^53, so the double
 * arithmetic (including `%`, which is exact for doubles) is exact.
 */
export function uniformInt(random: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > TWO_53)
    throw new RangeError(`uniformInt: n must be an integer in [1, 2^53], got ${n}`)
  if (n <= TWO_32) {
    const limit = TWO_32 - (TWO_32 % n)
    for (;;) {
      const w = random.nextUint32()
      if (w < limit) return w % n
    }
  }
  const limit = TWO_53 - (TWO_53 % n)
  for (;;) {
    const w = (random.nextUint32() & 0x1fffff) * TWO_32 + random.nextUint32()
    if (w < limit) return w % n
  }
}

/** One fair bit. */
export function randomBit(random: RandomSource): number {
  return random.nextUint32() >>> 31
}

/**
 * A uniform bigint in [0, n), n ≥ 1: draw bitLength(n) uniform bits, reject values ≥ n (fewer than
 * two draws on average). Used only where a denominator exceeds 2^53.
 */
export function uniformBigInt(random: RandomSource, n: bigint): bigint {
  if (n < 1n) throw new RangeError('uniformBigInt: n must be ≥ 1')
  const bits = n.toString(2).length
  const words = Math.ceil(bits / 32)
  const mask = (1n << BigInt(bits)) - 1n
  for (;;) {
    let w = 0n
    for (let i = 0; i < words; i++) w = (w << 32n) | BigInt(random.nextUint32())
    w &= mask
    if (w < n) return w
  }
}

/**
 * Exact Bernoulli(num/den) for integers 0 ≤ num ≤ den: true iff a uniform integer in [0, den) is
 * below num, which happens for exactly num of the den equally likely values. Numbers when den ≤ 2^53,
 * bigints otherwise.
 */
export function bernoulli(random: RandomSource, num: number | bigint, den: number | bigint): boolean {
  if (typeof num === 'number' && typeof den === 'number' && den <= TWO_53) {
    if (!Number.isInteger(num) || !Number.isInteger(den) || num < 0 || den < 1 || num > den) {
      throw new RangeError(`bernoulli: need integers 0 ≤ num ≤ den, got ${num}/${den}`)
    }
    return uniformInt(random, den) < num
  }
  const n = BigInt(num)
  const d = BigInt(den)
  if (n < 0n || d < 1n || n > d) throw new RangeError(`bernoulli: need integers 0 ≤ num ≤ den, got ${n}/${d}`)
  return uniformBigInt(random, d) < n
}
