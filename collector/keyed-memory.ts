import { hash, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/** Answers remembered by a keyed hash of what they were derived from. */
export type KeyedMemory<V> = {
  /** The answer for `raw`: remembered, or `derive(raw)` remembered now. */
  get(raw: string, derive: (raw: string) => V): V
  readonly size: number
}

/**
 * A bounded memory (least recently used forgotten first) of answers derived from a personal value:
 * a user agent's bot verdict and classes, an address's country. Real traffic repeats a few hundred
 * user agents and each visitor's address over a visit, and deriving the answer (long regexes, a
 * range search) costs several times a hash. Entries are keyed by SHA-256 of a random key made when
 * the memory is made and the value, so the memory holds no user agent or address, only answers
 * that are stored anyway; the key lives only in this process (each process of `WORKERS`, each
 * collector, has its own memory). Answers are handed to every later caller: keep them immutable.
 */
export function createKeyedMemory<V extends {}>(max: number): KeyedMemory<V> {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer')
  const key = randomBytes(32).toString('base64')
  const memory = new LRUCache<string, V>({ max })
  return {
    get(raw, derive) {
      const id = hash('sha256', key + raw, 'base64')
      let answer = memory.get(id)
      if (answer === undefined) {
        answer = derive(raw)
        memory.set(id, answer)
      }
      return answer
    },
    get size() {
      return memory.size
    },
  }
}
