import { describe, expect, it } from 'vitest'
import { snapshotCache } from '../../api/recommend/snapshot-cache.ts'

/*
 * The in-memory snapshot of /recommend: one load for concurrent first reads, reads answered from
 * memory, one cheap check per interval, a reload only when the version changed, and the copy kept
 * when a check fails. The source here is a plain in-memory table whose version the test bumps.
 */

function table() {
  const state = { version: 'v1', versionCalls: 0, loads: 0, fail: false }
  const source = {
    version: async (_site: string) => {
      state.versionCalls++
      if (state.fail) throw new Error('warehouse down')
      return state.version
    },
    load: async (site: string, version: string) => {
      state.loads++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return `${site}@${version}`
    },
  }
  return { state, source }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('snapshot cache', () => {
  it('loads once for concurrent first reads and answers later reads from memory', async () => {
    const { state, source } = table()
    let now = 0
    const cache = snapshotCache(source, { checkEveryMs: 1000, now: () => now })
    expect(await Promise.all([cache.get('shop'), cache.get('shop'), cache.get('shop')])).toEqual([
      'shop@v1',
      'shop@v1',
      'shop@v1',
    ])
    expect(state.loads).toBe(1)
    now = 999
    for (let i = 0; i < 10; i++) expect(await cache.get('shop')).toBe('shop@v1')
    expect(state.versionCalls).toBe(1)
  })

  it('checks once an interval, reloads only on a new version, and serves the old copy meanwhile', async () => {
    const { state, source } = table()
    let now = 0
    const cache = snapshotCache(source, { checkEveryMs: 1000, now: () => now })
    await cache.get('shop')
    now = 1000
    expect(await cache.get('shop')).toBe('shop@v1')
    await settle()
    expect(state).toMatchObject({ versionCalls: 2, loads: 1 })
    state.version = 'v2'
    now = 1500
    expect(await cache.get('shop')).toBe('shop@v1')
    await settle()
    expect(state.versionCalls).toBe(2)
    now = 2000
    // The read that starts the check is still answered from memory, without waiting for it.
    expect(await cache.get('shop')).toBe('shop@v1')
    await settle()
    expect(await cache.get('shop')).toBe('shop@v2')
    expect(state.loads).toBe(2)
  })

  it('keeps the copy when a check fails and tries again after the interval', async () => {
    const { state, source } = table()
    let now = 0
    const errors: unknown[] = []
    const cache = snapshotCache(source, {
      checkEveryMs: 1000,
      now: () => now,
      onError: (e) => errors.push(e),
    })
    await cache.get('shop')
    state.fail = true
    now = 1000
    expect(await cache.get('shop')).toBe('shop@v1')
    await settle()
    expect(errors).toHaveLength(1)
    state.fail = false
    state.version = 'v2'
    now = 2000
    await cache.get('shop')
    await settle()
    expect(await cache.get('shop')).toBe('shop@v2')
  })

  it('keeps one copy per site', async () => {
    const { source } = table()
    const cache = snapshotCache(source, { checkEveryMs: 1000 })
    expect(await cache.get('shop')).toBe('shop@v1')
    expect(await cache.get('other')).toBe('other@v1')
  })
})
