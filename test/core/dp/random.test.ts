import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bernoulliExp, bernoulliExpBig, bernoulliExpMinusOne } from '../../../core/dp/bernoulli-exp.ts'
import {
  bernoulli,
  cryptoRandom,
  keyedRandom,
  type RandomSource,
  randomBit,
  seededRandom,
  uniformBigInt,
  uniformInt,
} from '../../../core/dp/random.ts'
import { chiSquare, chiSquareCritical, proportionTolerance } from './stats.ts'

const N = 100_000

function frequency(n: number, draw: () => boolean): number {
  let hits = 0
  for (let i = 0; i < n; i++) if (draw()) hits++
  return hits / n
}

function expectBernoulli(p: number, draw: () => boolean): void {
  expect(Math.abs(frequency(N, draw) - p)).toBeLessThanOrEqual(proportionTolerance(p, N))
}

/** Chi-square of N draws of uniformInt(n) grouped into k equal buckets (k divides n). */
function uniformChiSquare(random: RandomSource, n: number, k: number): number {
  const counts = new Array<number>(k).fill(0)
  const width = n / k
  for (let i = 0; i < N; i++) {
    const b = Math.floor(uniformInt(random, n) / width)
    counts[b] = (counts[b] as number) + 1
  }
  return chiSquare(counts, new Array<number>(k).fill(N / k))
}

describe('random sources', () => {
  it('the seeded source is deterministic per seed and differs across seeds', () => {
    const take = (r: RandomSource) => Array.from({ length: 5000 }, () => r.nextUint32())
    const a = take(seededRandom('a'))
    expect(take(seededRandom('a'))).toEqual(a)
    const b = take(seededRandom('b'))
    expect(b.filter((w, i) => w === a[i]).length).toBeLessThan(3)
  })
  it('every bit position of every source is fair (100,000 words)', () => {
    for (const random of [cryptoRandom(), seededRandom('bits'), keyedRandom(Buffer.alloc(32, 1), 'bits')]) {
      const ones = new Array<number>(32).fill(0)
      let outOfRange = 0
      for (let i = 0; i < N; i++) {
        const w = random.nextUint32()
        if (!(w >= 0 && w < 2 ** 32 && Number.isInteger(w))) outOfRange++
        for (let b = 0; b < 32; b++) if ((w >>> b) & 1) ones[b] = (ones[b] as number) + 1
      }
      expect(outOfRange).toBe(0)
      for (const count of ones)
        expect(Math.abs(count / N - 0.5)).toBeLessThanOrEqual(proportionTolerance(0.5, N))
    }
  })
  it('the keyed source repeats per (secret, label), differs across labels and secrets, refuses short secrets', () => {
    const take = (r: RandomSource) => Array.from({ length: 5000 }, () => r.nextUint32())
    const secret = Buffer.alloc(32, 7)
    const a = take(keyedRandom(secret, 'pages|2026-12-07|/catalog'))
    expect(take(keyedRandom(secret, 'pages|2026-12-07|/catalog'))).toEqual(a)
    const sameIndex = (b: number[]) => b.filter((w, i) => w === a[i]).length
    expect(sameIndex(take(keyedRandom(secret, 'pages|2026-12-07|/cart')))).toBeLessThan(3)
    expect(sameIndex(take(keyedRandom(Buffer.alloc(32, 8), 'pages|2026-12-07|/catalog')))).toBeLessThan(3)
    expect(() => keyedRandom(Buffer.alloc(31), 'x')).toThrow(RangeError)
  })
  it('two crypto sources do not repeat each other (each refills from crypto, not from a shared seed)', () => {
    const a = cryptoRandom()
    const b = cryptoRandom()
    let same = 0
    for (let i = 0; i < 10_000; i++) if (a.nextUint32() === b.nextUint32()) same++
    expect(same).toBeLessThan(3)
  })
})

describe('uniformInt: uniform on [0, n) without modulo bias (chi-square)', () => {
  it('small n (7, 1000) on both sources', () => {
    for (const random of [seededRandom('u'), cryptoRandom()]) {
      expect(uniformChiSquare(random, 7, 7)).toBeLessThanOrEqual(chiSquareCritical(6))
      expect(uniformChiSquare(random, 1000, 100)).toBeLessThanOrEqual(chiSquareCritical(99))
    }
  })
  it('n = 3·2^30, where w mod n would put half the mass in the first third', () => {
    expect(uniformChiSquare(seededRandom('u3'), 3 * 2 ** 30, 3)).toBeLessThanOrEqual(chiSquareCritical(2))
  })
  it('n = 3·2^40 (two words) and n = 2^53', () => {
    expect(uniformChiSquare(seededRandom('u40'), 3 * 2 ** 40, 3)).toBeLessThanOrEqual(chiSquareCritical(2))
    expect(uniformChiSquare(seededRandom('u53'), 2 ** 53, 16)).toBeLessThanOrEqual(chiSquareCritical(15))
  })
  it('a biased reduction fails the same test (the test has power)', () => {
    const random = seededRandom('biased')
    const n = 3 * 2 ** 30
    const counts = [0, 0, 0]
    for (let i = 0; i < N; i++) {
      const b = Math.floor((random.nextUint32() % n) / 2 ** 30)
      counts[b] = (counts[b] as number) + 1
    }
    expect(chiSquare(counts, [N / 3, N / 3, N / 3])).toBeGreaterThan(chiSquareCritical(2))
  })
  it('uniformBigInt is uniform beyond 2^53', () => {
    const random = seededRandom('big')
    const n = 3n * 2n ** 70n
    const counts = [0, 0, 0]
    for (let i = 0; i < N; i++) {
      const b = Number(uniformBigInt(random, n) / 2n ** 70n)
      counts[b] = (counts[b] as number) + 1
    }
    expect(chiSquare(counts, [N / 3, N / 3, N / 3])).toBeLessThanOrEqual(chiSquareCritical(2))
  })
  it('refuses n outside [1, 2^53] and non-integers', () => {
    const random = seededRandom('bad')
    for (const bad of [0, -1, 1.5, 2 ** 53 + 2, Number.NaN])
      expect(() => uniformInt(random, bad)).toThrow(RangeError)
  })
})

describe('exact Bernoulli', () => {
  const random = seededRandom('bernoulli')
  it('Bernoulli(num/den) for small, 2^40-sized and bigint denominators', () => {
    expectBernoulli(1 / 3, () => bernoulli(random, 1, 3))
    expectBernoulli(2 / 7, () => bernoulli(random, 2, 7))
    expectBernoulli(0.75, () => bernoulli(random, 3 * 2 ** 38, 2 ** 40))
    expectBernoulli(1 / 3, () => bernoulli(random, 2n ** 80n, 3n * 2n ** 80n))
    expectBernoulli(0.5, () => randomBit(random) === 1)
  })
  it('Bernoulli(0) never and Bernoulli(1) always', () => {
    expect(frequency(10_000, () => bernoulli(random, 0, 5))).toBe(0)
    expect(frequency(10_000, () => bernoulli(random, 5, 5))).toBe(1)
  })
  it('refuses p outside [0, 1] and non-integers', () => {
    expect(() => bernoulli(random, 4, 3)).toThrow(RangeError)
    expect(() => bernoulli(random, -1, 3)).toThrow(RangeError)
    expect(() => bernoulli(random, 0.5, 3)).toThrow(RangeError)
  })
  it('Bernoulli(exp(−γ)) for γ = 0, 1/3, 1, 2.5, 7 and a bigint γ = 1.5', () => {
    expect(frequency(10_000, () => bernoulliExp(random, 0, 1))).toBe(1)
    expectBernoulli(Math.exp(-1 / 3), () => bernoulliExp(random, 1, 3))
    expectBernoulli(Math.exp(-1), () => bernoulliExpMinusOne(random))
    expectBernoulli(Math.exp(-2.5), () => bernoulliExp(random, 5, 2))
    expectBernoulli(Math.exp(-7), () => bernoulliExp(random, 7 * 2 ** 30, 2 ** 30))
    expectBernoulli(Math.exp(-1.5), () => bernoulliExpBig(random, 3n * 2n ** 60n, 2n ** 61n))
  })
})

describe('no Math.random in core/dp', () => {
  it('no source file under core/dp mentions Math.random, and each imports only siblings and node:crypto', () => {
    const dir = join(import.meta.dirname, '../../../core/dp')
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThanOrEqual(9)
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(/Math\s*\.\s*random|Math\s*\[\s*['"`]random/.test(text), file).toBe(false)
      // Only sibling modules and node:crypto: no other room, no package, no other randomness.
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1])
      for (const source of imports)
        expect(source === 'node:crypto' || /^\.\/[a-z-]+\.ts$/.test(source ?? ''), file).toBe(true)
      expect(/require\(|import\(/.test(text), file).toBe(false)
    }
  })
})
