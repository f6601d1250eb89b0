import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATS_ROUTES } from '../../api/stats-routes.ts'
import { DP_OFF_WARNING } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { API_TOKEN, type ReadService, read, startReadService } from './support.ts'

/*
 * What every answer of the read API says about its privacy (api/answer-meta.ts): the configured
 * guarantee, and whether the answer is made of released figures or still comes through the k gate.
 * The every-route check with the default guarantee is in k-anonymity.test.ts; here, the escape
 * hatch (DP_EPSILON=off) is loud on every answer, and the document describes both fields.
 */

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService
let noisy: ReadService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startReadService(warehouse, { DP_EPSILON: 'off' })
  noisy = await startReadService(warehouse, { DP_EPSILON: '0.5', DP_DELTA: '1e-8' })
})
afterAll(async () => {
  await noisy?.close()
  await service?.close()
  await dispose?.()
})

const PATHS = [
  [`/api/stats/pages?site=shop&from=2026-03-01&to=2026-03-07`, undefined],
  [`/api/stats/overview?site=shop&from=2026-03-01&to=2026-03-07`, undefined],
  [`/api/stats/timeseries?site=shop&from=2026-03-01&to=2026-03-07`, undefined],
  ['/api/v1/segments?site=shop', API_TOKEN],
] as const

describe('the privacy stated on every answer', () => {
  it('says mechanism "off", with its warning, on stats and v1 answers when DP_EPSILON=off', async () => {
    for (const [path, token] of PATHS) {
      const answer = await read(service.url, path, token)
      expect(answer.status, path).toBe(200)
      expect(answer.body.privacy, path).toEqual({
        mechanism: 'off',
        epsilon: null,
        delta: null,
        warning: DP_OFF_WARNING,
      })
      expect(answer.body.release, path).toBe('k-threshold')
    }
  })

  it('states the configured ε and δ, and what the answer is made of, when noise is on', async () => {
    const released = new Set(
      STATS_ROUTES.filter((route) => route.doc.released).map((route) => route.doc.path),
    )
    expect(released).toContain('/overview')
    for (const [path, token] of PATHS) {
      const answer = await read(noisy.url, path, token)
      expect(answer.status, path).toBe(200)
      expect(answer.body.privacy, path).toEqual({ mechanism: 'discrete-gaussian', epsilon: 0.5, delta: 1e-8 })
      // A route not yet read from the released figures must not claim to be; /api/v1 reads the
      // insights snapshots, made of released cells with DP on.
      const view = path.match(/^\/api\/stats(\/[a-z-]+)/)?.[1]
      const expected =
        (view && released.has(view)) || path.startsWith('/api/v1/') ? 'differential-privacy' : 'k-threshold'
      expect(answer.body.release, path).toBe(expected)
    }
  })

  it('is part of every response schema of the served document', async () => {
    type Schema = { properties?: Record<string, unknown>; required?: string[]; allOf?: Schema[] }
    type Doc = {
      paths: Record<string, { get: { responses: { 200: { content: Record<string, { schema: Schema }> } } } }>
    }
    const doc = (await read(service.url, '/api/openapi.json', null)).body as unknown as Doc
    const reads = Object.entries(doc.paths).filter(([path]) => /^\/api\/(stats|v1)\//.test(path))
    expect(reads.length).toBeGreaterThan(10)
    for (const [path, item] of reads) {
      const schema = item.get.responses[200].content['application/json']?.schema as Schema
      const envelope = schema.allOf ? (schema.allOf[1] as Schema) : schema
      expect(envelope.required, path).toEqual(expect.arrayContaining(['privacy', 'release']))
      expect(Object.keys(envelope.properties ?? {}), path).toEqual(
        expect.arrayContaining(['privacy', 'release']),
      )
    }
  })
})
