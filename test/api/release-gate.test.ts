import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { RECO_ROUTES } from '../../api/reco-routes.ts'
import { groupMeetsK, meetsK, release } from '../../api/release.ts'
import { isReleasedHandler, releasedRouter } from '../../api/released-route.ts'
import { STATS_ROUTES } from '../../api/stats-routes.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'

// The gate's own logic, without a warehouse: the routes are built and mounted but never called,
// so the warehouse they would read is never reached.
const NEVER_READ = {} as Warehouse

describe('isReleasedHandler', () => {
  it('knows the handlers releasedRouter mounted, and nothing else', () => {
    const router = releasedRouter([...STATS_ROUTES, ...RECO_ROUTES], async (_c, next) => next(), {
      warehouse: NEVER_READ,
      k: 5,
      sites: new Map([['shop', {}]]),
      recommendProbBest: 0.95,
      privacy: privacyFrom(1, 1e-7, false),
    })
    const mounted = router.routes.filter((route) => route.method === 'GET')
    expect(mounted.length).toBe(STATS_ROUTES.length + RECO_ROUTES.length)
    for (const route of mounted) expect(isReleasedHandler(route.handler), route.path).toBe(true)
    // A handler written by hand, even one mounted the same way, is not released.
    const bypass = new Hono().get('/api/v1/offers', (c) => c.json({ rows: [] }))
    for (const route of bypass.routes) expect(isReleasedHandler(route.handler)).toBe(false)
    expect(isReleasedHandler(() => undefined)).toBe(false)
    expect(isReleasedHandler({})).toBe(false)
    expect(isReleasedHandler(undefined)).toBe(false)
  })
})

describe('release', () => {
  it('keeps a group at exactly k by both counts, and holds one below by either', () => {
    expect(meetsK(5, 5)).toBe(true)
    expect(meetsK(4, 5)).toBe(false)
    expect(meetsK(Number.NaN, 0)).toBe(false)
    expect(meetsK(Number.POSITIVE_INFINITY, 5)).toBe(false)
    expect(groupMeetsK({ visitors: 5, visitors_floor: 5 }, 5)).toBe(true)
    expect(groupMeetsK({ visitors: 9, visitors_floor: 4 }, 5)).toBe(false)
    expect(groupMeetsK({ visitors: 4, visitors_floor: 9 }, 5)).toBe(false)
    expect(groupMeetsK({ visitors: Number.NaN, visitors_floor: 9 }, 0)).toBe(false)
    expect(groupMeetsK({ visitors: 9, visitors_floor: Number.NaN }, 0)).toBe(false)
    const rows = [
      { id: 'a', visitors: 5, visitors_floor: 5 },
      { id: 'b', visitors: 9, visitors_floor: 2 },
      { id: 'c', visitors: 7, visitors_floor: 6 },
    ]
    expect(release(rows, 5)).toEqual({
      rows: [
        { id: 'a', visitors: 5 },
        { id: 'c', visitors: 7 },
      ],
      suppressed: 1,
    })
  })
})
