import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { buildOverview, previousPeriod } from '../../api/overview.ts'
import { statsQuery } from '../../api/params.ts'
import { groupMeetsK, meetsK, release } from '../../api/release.ts'
import { createLogger } from '../../core/logger.ts'
import { bearerAuth, resolveToken } from '../../core/tokens.ts'

describe('release: the k-anonymity gate', () => {
  const exact = (visitors: number) => ({ visitors, visitors_floor: visitors })

  it('keeps groups of at least k visitors and counts the rest', () => {
    const rows = [exact(5), exact(4), exact(0), exact(7)]
    expect(release(rows, 5)).toEqual({ rows: [{ visitors: 5 }, { visitors: 7 }], suppressed: 2 })
  })

  it('tests the lower bound, and publishes the shown count without it', () => {
    // Six per-row counts of a finalized day that may be three people: held back.
    const rows = [
      { path: '/a', visitors: 6, visitors_floor: 3 },
      { path: '/b', visitors: 8, visitors_floor: 5 },
    ]
    expect(release(rows, 5)).toEqual({ rows: [{ path: '/b', visitors: 8 }], suppressed: 1 })
    // The floor never exceeds the count in a query, but the gate does not rely on it.
    expect(groupMeetsK({ visitors: 4, visitors_floor: 9 }, 5)).toBe(false)
  })

  it('fails closed on a count that is not a number', () => {
    expect(meetsK(Number.NaN, 2)).toBe(false)
    expect(meetsK(Number.POSITIVE_INFINITY, 2)).toBe(false)
    expect(release([exact(Number('x'))], 1)).toEqual({ rows: [], suppressed: 1 })
    expect(release([{ visitors: 9, visitors_floor: Number.NaN }], 1)).toEqual({ rows: [], suppressed: 1 })
    expect(groupMeetsK({ visitors: Number.POSITIVE_INFINITY, visitors_floor: 9 }, 1)).toBe(false)
    expect(groupMeetsK({ visitors: 9, visitors_floor: Number.POSITIVE_INFINITY }, 1)).toBe(false)
    // A row that somehow lacks its floor (a query read without types) is held back.
    expect(groupMeetsK({ visitors: 9 } as unknown as { visitors: number; visitors_floor: number }, 1)).toBe(
      false,
    )
  })
})

describe('overview figures', () => {
  it('compares with the period of equal length just before', () => {
    expect(previousPeriod({ from: '2026-03-01', to: '2026-03-31' })).toEqual({
      from: '2026-01-29',
      to: '2026-02-28',
    })
    expect(previousPeriod({ from: '2024-03-01', to: '2024-03-01' })).toEqual({
      from: '2024-02-29',
      to: '2024-02-29',
    })
  })

  it('gives revenue and conversion only when the buyers are k or none', () => {
    const rows = (buyers: number, buyersFloor = buyers) => [
      { type: 'pageview', events: 40, revenue: 0, visitors: 20, visitors_floor: 20 },
      {
        type: 'purchase',
        events: buyers,
        revenue: buyers * 10,
        visitors: buyers,
        visitors_floor: buyersFloor,
      },
    ]
    const range = { from: '2026-03-01', to: '2026-03-02' }
    const k5 = (group: Parameters<typeof groupMeetsK>[0]) => groupMeetsK(group, 5)
    expect(buildOverview(range, rows(5), k5)).toMatchObject({ revenue: 50, conversion_rate: 0.25 })
    expect(buildOverview(range, rows(2), k5)).toMatchObject({
      revenue: null,
      conversion_rate: null,
      events: { pageview: 40 },
    })
    // Five buyers shown, but perhaps only three people (a finalized day's rows added up).
    expect(buildOverview(range, rows(5, 3), k5)).toMatchObject({
      revenue: null,
      conversion_rate: null,
      events: { pageview: 40 },
    })
    expect(buildOverview(range, rows(0), k5)).toMatchObject({ revenue: 0, conversion_rate: 0 })
    expect(buildOverview(range, rows(5), k5)).toMatchObject({ visitors: 20, visitors_floor: 20 })
  })
})

describe('stats query validation', () => {
  const query = statsQuery(['device'], {})
  const base = { site: 'shop', from: '2026-03-01', to: '2026-03-02' }
  const fieldOf = (input: object) => query.safeParse(input).error?.issues[0]?.path.join('.')

  it('takes calendar dates in order, at most 400 days apart', () => {
    expect(query.parse({ ...base, device: 'mobile' })).toEqual({ ...base, device: 'mobile' })
    expect(fieldOf({ ...base, from: '2026-02-29' })).toBe('from')
    expect(fieldOf({ ...base, from: '2026-03-03' })).toBe('from')
    expect(query.safeParse({ ...base, from: '2025-02-01', to: '2026-03-07' }).success).toBe(true)
    expect(fieldOf({ ...base, from: '2025-02-01', to: '2026-03-08' })).toBe('to')
    expect(fieldOf({ ...base, to: '1969-12-31' })).toBe('to')
  })
})

describe('bearer tokens', () => {
  const capture = () => {
    const lines: string[] = []
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk))
          done()
        },
      }),
    )
    return { lines, logger }
  }

  it('creates a token file with mode 0600 once, logs its path and never the token', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tally-token-')), 'data')
    const { lines, logger } = capture()
    const token = resolveToken({ configured: undefined, dataDir, file: 'dashboard-token', logger })
    const path = join(dataDir, 'dashboard-token')
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(readFileSync(path, 'utf8').trim()).toBe(token)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(resolveToken({ configured: undefined, dataDir, file: 'dashboard-token', logger })).toBe(token)
    expect(lines.join('')).toContain(path)
    expect(lines.join('')).not.toContain(token)
  })

  it('prefers the configured token and refuses an unusable file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-token-'))
    const { logger } = capture()
    expect(resolveToken({ configured: 'configured-token-123456', dataDir, file: 'api-token', logger })).toBe(
      'configured-token-123456',
    )
    writeFileSync(join(dataDir, 'api-token'), 'short\n', { mode: 0o600 })
    expect(() => resolveToken({ configured: undefined, dataDir, file: 'api-token', logger })).toThrow(
      /at least 16 characters/,
    )
  })

  it('lets through only the exact token', async () => {
    const app = new Hono().use(bearerAuth('the-right-token-0123', 'test')).get('/', (c) => c.text('ok'))
    const status = async (authorization?: string) =>
      (await app.request('/', authorization === undefined ? {} : { headers: { authorization } })).status
    expect(await status('Bearer the-right-token-0123')).toBe(200)
    expect(await status('bearer the-right-token-0123')).toBe(200)
    for (const wrong of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer the-right-token-012',
      'Bearer the-right-token-01234',
      'Basic the-right-token-0123',
      'the-right-token-0123',
      'Bearer the-right-token-0123 extra',
    ]) {
      expect(await status(wrong), String(wrong)).toBe(401)
    }
  })
})
