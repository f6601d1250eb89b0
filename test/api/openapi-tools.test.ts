import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { runToExit } from '../support/run.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import { type ReadService, read, startReadService } from './support.ts'

/*
 * The served OpenAPI document, as clients meet it: fetched over a real socket by
 * `@redocly/cli lint` (no error) and by `openapi-typescript` (named operations and schemas), both
 * run offline (no telemetry, no update check); and checked against the routes the app serves.
 */

const require = createRequire(import.meta.url)
const binOf = (pkg: string, bin: string) => {
  const manifest = require.resolve(`${pkg}/package.json`)
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin
  return join(dirname(manifest), bins[bin] as string)
}
const OFFLINE = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  NO_COLOR: '1',
}

type Operation = { operationId?: string; responses: Record<string, unknown> }
type Doc = {
  openapi: string
  info: { license?: { name: string } }
  servers?: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, { enum?: string[] }> }
}

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService
let doc: Doc
const work = mkdtempSync(join(tmpdir(), 'tally-openapi-'))
const url = () => `${service.url}/api/openapi.json`

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startReadService(warehouse)
  doc = (await read(service.url, '/api/openapi.json', null)).body as unknown as Doc
})

afterAll(async () => {
  await service?.close()
  await dispose?.()
  rmSync(work, { recursive: true, force: true })
})

describe('the served OpenAPI document', () => {
  it('is 3.1 with servers, a license, and an operationId on every operation, each once', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers?.length).toBeGreaterThan(0)
    expect(doc.info.license?.name).toBeTruthy()
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId))
    expect(
      ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id)),
      String(ids),
    ).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('lists every route the service answers outside the dashboard’s pages', () => {
    const served = service.app.routes
      .filter((route) => route.method !== 'ALL' && route.method !== 'OPTIONS')
      .filter(
        (route) => !route.path.includes('*') && !/^\/(ui|login|logout|demo-shop)?(\/|$)/.test(route.path),
      )
      .map((route) => `${route.method.toLowerCase()} ${route.path}`)
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    )
    expect(served.length).toBeGreaterThan(20)
    for (const route of served) expect(documented, route).toContain(route)
    for (const route of [
      'post /api/event',
      'get /healthz',
      'get /metrics',
      'get /beacon.js',
      'get /api/v1/recommend',
    ])
      expect(documented).toContain(route)
  })

  it('names every row and closes the closed sets', () => {
    const { schemas } = doc.components
    for (const name of [
      'PageRow',
      'RecoOfferRow',
      'SegmentRow',
      'Recommendation',
      'AllocationShare',
      'Error',
    ])
      expect(Object.keys(schemas)).toContain(name)
    expect(schemas.Device?.enum).toEqual(['desktop', 'mobile', 'tablet', 'other'])
    expect(schemas.SegmentSource?.enum).toContain('*')
    expect(schemas.Decision?.enum).toEqual(['recommended', 'leading', 'alone', 'explore'])
    const pages = JSON.stringify(doc.paths['/api/stats/pages'])
    expect(pages).toContain('#/components/schemas/PageRow')
  })

  it('passes `redocly lint` with no error, fetched over the socket', async () => {
    const { code, output } = await runToExit([binOf('@redocly/cli', 'redocly'), 'lint', url()], OFFLINE)
    // Exit code 1 on any error; warnings (a 200-only /healthz has no 4XX answer) leave it 0.
    expect(code, output).toBe(0)
    expect(output).toContain('Your API description is valid')
    expect(output).not.toMatch(/\d+ errors?\b/)
  }, 120_000)

  it('gives openapi-typescript named operations and schemas', async () => {
    const out = join(work, 'tally.d.ts')
    const { code, output } = await runToExit(
      [binOf('openapi-typescript', 'openapi-typescript'), url(), '-o', out],
      OFFLINE,
    )
    expect(code, output).toBe(0)
    const types = readFileSync(out, 'utf8')
    expect(types).not.toContain('operations: Record<string, never>')
    for (const operation of ['v1Recommend', 'v1Offers', 'statsPages', 'sendEvent', 'getHealth', 'getMetrics'])
      expect(types).toMatch(new RegExp(`^    ${operation}: \\{`, 'm'))
    expect(types).toMatch(/^ {8}Recommendation: \{/m)
    expect(types).toContain('decision: components["schemas"]["Decision"]')
    // The client's committed types are the served document's (`npm run client:types` refreshes them).
    expect(types, 'clients/recommend/schema.ts is stale: npm run client:types').toBe(
      readFileSync(join(process.cwd(), 'clients/recommend/schema.ts'), 'utf8'),
    )
  }, 120_000)
})
