import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createVisitorsNow } from '../../collector/visitors-now.ts'
import { row } from '../support/rows.ts'

describe('visitors now', () => {
  it('counts distinct visitors of a site over the last five minutes, and forgets them after', () => {
    let now = new Date('2026-03-10T10:00:10Z')
    const live = createVisitorsNow({ now: () => now })
    live.record([
      row({ visitor: '1', site: 'shop' }),
      row({ visitor: '1', site: 'shop' }),
      row({ visitor: '2', site: 'shop' }),
    ])
    live.record([row({ visitor: '3', site: 'other' })])
    expect(live.count('shop')).toBe(2)
    expect(live.count('other')).toBe(1)
    now = new Date('2026-03-10T10:03:00Z')
    live.record([row({ visitor: '2', site: 'shop' }), row({ visitor: '4', site: 'shop' })])
    expect(live.count('shop')).toBe(3)
    // 10:05: the minute of 10:00 has left the window; 2 and 4 came back at 10:03.
    now = new Date('2026-03-10T10:05:00Z')
    expect(live.count('shop')).toBe(2)
    now = new Date('2026-03-10T10:08:00Z')
    expect(live.count('shop')).toBe(0)
    expect(live.count('other')).toBe(0)
  })

  it('bounds its memory per minute: past the cap it counts low', () => {
    const live = createVisitorsNow({ now: () => new Date('2026-03-10T10:00:00Z'), maxPerMinute: 3 })
    live.record(Array.from({ length: 10 }, (_, index) => row({ visitor: String(index), site: 'shop' })))
    expect(live.count('shop')).toBe(3)
  })

  it('gives out counts only, and can reach neither the warehouse, the log nor a file', () => {
    const live = createVisitorsNow()
    expect(Object.keys(live).sort()).toEqual(['count', 'minutes', 'record'])
    live.record([row({ visitor: '12345678901234567890', site: 'shop' })])
    expect(JSON.stringify(live)).not.toContain('12345678901234567890')
    const source = readFileSync(new URL('../../collector/visitors-now.ts', import.meta.url), 'utf8')
    const imports = [...source.matchAll(/^import .* from '([^']+)'/gm)].map((match) => match[1])
    expect(imports.sort()).toEqual([
      '../schemas/constants.ts',
      '../schemas/row.ts',
      './number-set.ts',
      'node:crypto',
    ])
  })
})
