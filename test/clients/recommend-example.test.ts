import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TallyError, tallyClient } from '../../clients/recommend/client.ts'
import { pickBanner } from '../../clients/recommend/example.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { API_TOKEN, insertRows, type ReadService, recoOffer, startReadService } from '../api/support.ts'
import { runToExit } from '../support/run.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/*
 * The typed client and its example against a live service (real socket, embedded warehouse):
 * the example picks a variant for its visitor in a few lines, in process and as a command.
 */

const SEGMENT = { device: 'mobile', country: 'DE', source: 'social', category: 'wipers' }
const ID = 'device=mobile|country=DE|source=social|category=wipers'

let warehouse: Warehouse
let dispose: () => Promise<void>
let service: ReadService

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  service = await startReadService(warehouse, { SITES: 'demo=https://shop.example' })
  const arm = (variant: string, conversions: number, prob_best: number) =>
    recoOffer({
      site: 'demo',
      segment: ID,
      ...SEGMENT,
      offer_id: 'banner',
      variant,
      impressions: 400,
      conversions,
      prob_best,
      visitors: 60,
    })
  await insertRows(warehouse, 'reco_offers', [arm('control', 4, 0.0001), arm('free-shipping', 40, 0.9999)])
})

afterAll(async () => {
  await service?.close()
  await dispose?.()
})

describe('clients/recommend', () => {
  it('the example picks a variant for its visitor', async () => {
    // P(best) of free-shipping is about 1 here, so Thompson sampling all but always draws it.
    expect(await pickBanner(service.url, API_TOKEN)).toBe('free-shipping')
  })

  it('the example runs as a command', async () => {
    const tsx = join(process.cwd(), 'node_modules/tsx/dist/cli.mjs')
    const { code, output } = await runToExit([tsx, 'clients/recommend/example.ts'], {
      PATH: process.env.PATH,
      TALLY_URL: service.url,
      API_TOKEN,
    })
    expect(code, output).toBe(0)
    expect(output.trim()).toBe('free-shipping')
  }, 60_000)

  it('types the answer and turns a refusal into a TallyError naming the field', async () => {
    const tally = tallyClient({ baseUrl: service.url, token: API_TOKEN })
    const pick = await tally.recommend({
      site: 'demo',
      device: 'mobile',
      country: 'DE',
      source: 'social',
      category: 'wipers',
    })
    expect(pick).toMatchObject({ decision: 'recommended', variant: 'free-shipping', segment: { id: ID } })
    expect(pick.allocation.map((share) => share.variant)).toEqual(['control', 'free-shipping'])
    const offers = await tally.offers({ site: 'demo', segment: ID })
    expect(offers.rows.map((row) => row.variant)).toEqual(['free-shipping', 'control'])
    const refused = await tally.recommend({ site: 'nowhere' }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(TallyError)
    expect(refused).toMatchObject({ status: 400, code: 'unknown_site', field: 'site' })
    const wrongToken = tallyClient({ baseUrl: service.url, token: 'not-the-token-0123456789' })
    await expect(wrongToken.segments({ site: 'demo' })).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    })
  })
})
