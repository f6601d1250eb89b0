import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { visitorHash } from '../../collector/visitor-hash.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { createSaltStore, newSalt, SALT_BYTES } from '../../warehouse/salts.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

let warehouse: Warehouse
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
})
afterAll(async () => {
  await dispose?.()
})

const saltDays = async () =>
  (
    await (
      await warehouse.client.query({
        query: 'SELECT DISTINCT toString(day) AS day FROM salts ORDER BY day',
        format: 'JSONEachRow',
      })
    ).json<{ day: string }>()
  ).map((row) => row.day)

describe('rotate-salts', () => {
  it('creates one random salt per day, shared by every instance', async () => {
    const clock = new Date('2026-11-20T10:00:00Z')
    const a = createSaltStore(warehouse, { now: () => clock })
    const b = createSaltStore(warehouse, { now: () => clock })
    const [saltA, saltB] = await Promise.all([a.forDay('2026-11-20'), b.forDay('2026-11-20')])
    expect(Buffer.from(saltA).toString('hex')).toBe(Buffer.from(saltB).toString('hex'))
    expect(saltA.length).toBe(32)
    expect(visitorHash(saltA, 'demo', '203.0.113.1', 'ua')).toBe(
      visitorHash(saltB, 'demo', '203.0.113.1', 'ua'),
    )
    const other = await a.forDay('2026-11-21')
    expect(Buffer.from(other).toString('hex')).not.toBe(Buffer.from(saltA).toString('hex'))
  })

  it('keeps today and yesterday and destroys every older salt, idempotently', async () => {
    const store = createSaltStore(warehouse)
    for (const day of ['2026-11-17', '2026-11-18', '2026-11-19']) await store.forDay(day)
    const now = new Date('2026-11-21T00:00:05Z')
    const first = await store.rotate(now)
    expect(first.today).toBe('2026-11-21')
    expect(first.dropped.sort()).toEqual(['20261117', '20261118', '20261119'])
    expect(await saltDays()).toEqual(['2026-11-20', '2026-11-21'])
    const again = await store.rotate(now)
    expect(again.dropped).toEqual([])
    expect(await saltDays()).toEqual(['2026-11-20', '2026-11-21'])
  })

  it('makes a destroyed day unrecoverable: a new salt for it is a different key', async () => {
    const store = createSaltStore(warehouse)
    const before = Buffer.from(await store.forDay('2026-11-20')).toString('hex')
    await store.rotate(new Date('2026-11-22T00:00:01Z'))
    expect(await saltDays()).toEqual(['2026-11-21', '2026-11-22'])
    const fresh = createSaltStore(warehouse)
    const after = Buffer.from(await fresh.forDay('2026-11-20')).toString('hex')
    expect(after).not.toBe(before)
  })

  it('lets another process (a worker) forget a destroyed salt it still holds in memory', async () => {
    const worker = createSaltStore(warehouse)
    const held = Buffer.from(await worker.forDay('2026-11-23')).toString('hex')
    const now = new Date('2026-11-25T00:00:01Z')
    await createSaltStore(warehouse).rotate(now)
    expect(await saltDays()).not.toContain('2026-11-23')
    // Still in the worker's memory until it forgets it...
    expect(Buffer.from(await worker.forDay('2026-11-23')).toString('hex')).toBe(held)
    worker.forget(now)
    // ...after which that day's hashes cannot be recomputed there either.
    expect(Buffer.from(await worker.forDay('2026-11-23')).toString('hex')).not.toBe(held)
  })
})

describe('newSalt', () => {
  it('draws 32 bytes from the injected source', () => {
    const asked: number[] = []
    const salt = newSalt((n) => {
      asked.push(n)
      return new Uint8Array(n).fill(7)
    })
    expect(asked).toEqual([SALT_BYTES])
    expect(salt).toEqual(new Uint8Array(32).fill(7))
  })

  it('defaults to the system CSPRNG, giving a different salt each time', () => {
    const a = newSalt()
    const b = newSalt()
    expect(a).toHaveLength(32)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })

  it('rejects a source that returns the wrong length', () => {
    expect(() => newSalt(() => new Uint8Array(16))).toThrow(RangeError)
  })
})
