import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cycles, forbidden, importGraph, ROOMS } from './rooms.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('the house: rooms import only downward', () => {
  const edges = importGraph(root)

  it('reads the import graph of every room', () => {
    // A graph of a few edges would mean the scanner no longer sees the imports.
    expect(edges.length).toBeGreaterThan(300)
    for (const room of [
      'core',
      'schemas',
      'warehouse',
      'collector',
      'aggregator',
      'api',
      'dashboard',
      'server',
    ])
      expect(edges.some((edge) => edge.from.startsWith(`${room}/`))).toBe(true)
  })

  it('has no import that goes the wrong way', () => {
    expect(forbidden(edges).map(({ from, to }) => `${from} -> ${to}`)).toEqual([])
  })

  it('has no import cycle', () => {
    expect(cycles(edges)).toEqual([])
  })

  it('fails on an import that goes up, and on a cycle', () => {
    expect(forbidden([{ from: 'collector/x.ts', to: 'server/logger.ts' }])).toHaveLength(1)
    expect(forbidden([{ from: 'api/x.ts', to: 'collector/sources.ts' }])).toHaveLength(1)
    expect(forbidden([{ from: 'dashboard/x.ts', to: 'warehouse/client.ts' }])).toHaveLength(1)
    expect(forbidden([{ from: 'server/x.ts', to: 'collector/collector.ts' }])).toEqual([])
    expect(
      cycles([
        { from: 'a.ts', to: 'b.ts' },
        { from: 'b.ts', to: 'a.ts' },
      ]),
    ).toEqual([['a.ts', 'b.ts']])
    expect(cycles([{ from: 'a.ts', to: 'b.ts' }])).toEqual([])
  })

  it('knows the rooms nothing may import', () => {
    for (const [room, allowed] of Object.entries(ROOMS)) {
      expect(allowed).not.toContain('server')
      expect(allowed).not.toContain(room)
    }
  })
})
