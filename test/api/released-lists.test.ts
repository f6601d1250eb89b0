import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { publishReleases } from '../../aggregator/jobs/publish.ts'
import { measurement } from '../../aggregator/release/measurements.ts'
import { seededRandom } from '../../core/dp/index.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { openTempEmbedded } from '../support/warehouse.ts'
import {
  attack,
  DAYS,
  EXACT,
  FINALIZED,
  K,
  LISTS,
  type ListCase,
  NOISY,
  NOW,
  OFF,
  ON,
  RECENT,
  SITES,
  truth,
  visitDurations,
} from './released-lists-data.ts'
import { type ReadService, read, startReadService } from './support.ts'

/*
 * The list routes with DP on, over real HTTP, from cells the publish job wrote: every list route
 * that has a released measurement answers from it, its rows the sum of the days' released figures
 * (visitors: the sum of daily unique visitors, on finalized and recent days alike), each figure
 * with its noise, one filter at a time and only those published; the subtraction attack of issue
 * 15 yields nothing there. Published once without noise (exact arithmetic) and once with it
 * (seeded, so the run is repeatable). The post-processing on hand-made cells:
 * released-lists.unit.test.ts; the data and its truth: released-lists-data.ts.
 */

type Row = Record<string, unknown> & { visitors: number; sd: Record<string, number> }
type ListAnswer = { rows: Row[]; suppressed: number | null; release: string }

let warehouse: Warehouse
let dispose: () => Promise<void>
let dp: ReadService
let kGate: ReadService
/** Answers of the exact site read before the older days were finalized. */
const beforeFinalize = new Map<string, unknown>()

const siteList = SITES.map((site) => `${site}=https://${site}.example`).join(',')
const url = (list: ListCase, site: string, from: string, to: string, extra = '') =>
  `/api/stats${list.path}site=${site}&from=${from}&to=${to}${extra}`
const rowsOf = async (service: ReadService, path: string): Promise<ListAnswer> => {
  const answer = await read<ListAnswer>(service.url, path)
  expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(200)
  return answer.body
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  await migrate(warehouse)
  // Exact figures (no noise) for the arithmetic; then the other sites with noise, seeded.
  await insertEvents(warehouse, EXACT)
  await publishReleases(warehouse, NOW, { plan: OFF, grains: ['day'] })
  await insertEvents(warehouse, NOISY)
  await insertEvents(warehouse, [...attack('attack', 20, 5), ...attack('crowd', 3_000, 3_000)])
  await publishReleases(warehouse, NOW, { plan: ON, grains: ['day'], random: seededRandom('released-lists') })
  const env = { SITES: siteList, K_ANON: String(K) }
  dp = await startReadService(warehouse, { ...env, DP_EPSILON: '1' })
  kGate = await startReadService(warehouse, { ...env, DP_EPSILON: 'off' })
  for (const list of LISTS) {
    const path = url(list, 'exact', DAYS[0], RECENT)
    beforeFinalize.set(path, await rowsOf(dp, path))
  }
  const finalized = await finalizeSketches(warehouse, NOW)
  expect(finalized.cutoff).toBe(RECENT)
}, 300_000)

afterAll(async () => {
  await kGate?.close()
  await dp?.close()
  await dispose?.()
})

/** The truth a list should show: key → [figure, visitors], without the rows it leaves out. */
function expected(list: ListCase, rows: readonly EventRow[], days: readonly string[]) {
  const all = truth(rows, list.contributions, days)
  return new Map([...all].filter(([, [figure, visitors]]) => visitors > 0 && (!list.dropsZero || figure > 0)))
}
const shownOf = (list: ListCase, answer: ListAnswer) =>
  new Map(answer.rows.map((entry) => [String(entry[list.key]), [entry[list.figure], entry.visitors]]))
const between = (from: string, to: string) => DAYS.filter((day) => day >= from && day <= to)
/** A day, a finalized day and a recent one, and the whole range. */
const RANGES = [
  [FINALIZED, FINALIZED],
  [RECENT, RECENT],
  [DAYS[0], RECENT],
] as const
// Fields the released answer has and the k gate's has not, or has otherwise: noise, marks not released.
const strip = ({ sd: _sd, reached_25: _25, reached_75: _75, ...rest }: Row) => rest

describe('list routes with DP on, over HTTP', () => {
  it('answer from released figures: the sum of daily uniques and counts, on finalized and recent days alike', async () => {
    for (const list of LISTS) {
      for (const [from, to] of RANGES) {
        const path = url(list, 'exact', from, to)
        const answer = await rowsOf(dp, path)
        expect(answer.release, path).toBe('differential-privacy')
        expect(answer.suppressed, path).toBeNull()
        expect(shownOf(list, answer), path).toEqual(expected(list, EXACT, between(from, to)))
        for (const entry of answer.rows) {
          // Published without noise here: every figure's noise is stated, and is 0.
          expect(entry.sd, path).toMatchObject({ [list.figure]: 0, visitors: 0 })
          expect(
            Object.values(entry.sd).every((sd) => sd === 0),
            path,
          ).toBe(true)
        }
      }
      // Finalizing the older days changed nothing that was published: no jump.
      const range = url(list, 'exact', DAYS[0], RECENT)
      expect(await rowsOf(dp, range), range).toEqual(beforeFinalize.get(range))
    }
  })

  it('give the k gate’s rows on a day with sketches, and its figures but visitors on a finalized one', async () => {
    let overCounted = 0
    for (const list of LISTS) {
      const recent = url(list, 'exact', RECENT, RECENT)
      const [released, gated] = [await rowsOf(dp, recent), await rowsOf(kGate, recent)]
      expect(gated.release).toBe('k-threshold')
      expect(released.rows.map(strip), recent).toEqual(gated.rows.map(strip))
      if (list.path.startsWith('/engagement')) {
        expect(released.rows[0]).toMatchObject({ reached_25: null, reached_75: null })
      }
      // A finalized day: the k gate adds the stored rows' counts (visitors in two rows count twice).
      const old = url(list, 'exact', FINALIZED, FINALIZED)
      const byKey = (answer: ListAnswer) =>
        Object.fromEntries(
          answer.rows.map(({ visitors: _visitors, ...entry }) => [entry[list.key], strip(entry as Row)]),
        )
      const [releasedOld, gatedOld] = [await rowsOf(dp, old), await rowsOf(kGate, old)]
      expect(byKey(releasedOld), old).toEqual(byKey(gatedOld))
      for (const entry of releasedOld.rows) {
        const gate = gatedOld.rows.find((candidate) => candidate[list.key] === entry[list.key])
        expect(gate?.visitors, old).toBeGreaterThanOrEqual(entry.visitors)
        if ((gate?.visitors ?? 0) > entry.visitors) overCounted++
      }
    }
    // The devices, browsers, OS and countries of visitors seen from two sources, at least.
    expect(overCounted).toBeGreaterThanOrEqual(4)
  })

  it('with noise: within six published standard deviations of the truth, day by day and over the range', async () => {
    let checked = 0
    for (const list of LISTS) {
      for (const [from, to] of [
        ['2026-09-02', '2026-09-02'],
        [RECENT, RECENT],
        ['2026-09-02', RECENT],
      ] as const) {
        const path = url(list, 'noisy', from, to)
        const answer = await rowsOf(dp, path)
        const days = between(from, to)
        const truths = truth(NOISY, list.contributions, days)
        expect(truths.size, path).toBeGreaterThan(0)
        for (const [key, [figure, visitors]] of truths) {
          const entry = answer.rows.find((candidate) => String(candidate[list.key]) === key)
          if (!entry) {
            // Only a page the view's figure is truly 0 on may be left out (for showing 0).
            expect(list.dropsZero && figure === 0, `${path} ${key} is missing`).toBe(true)
            continue
          }
          checked++
          for (const [name, value] of [
            [list.figure, figure],
            ['visitors', visitors],
          ] as const) {
            const sd = entry.sd[name] ?? 0
            expect(sd, `${path} ${key} ${name}`).toBeGreaterThan(0)
            expect(Math.abs(Number(entry[name]) - value), `${path} ${key} ${name}`).toBeLessThan(6 * sd)
          }
        }
      }
    }
    // 28 keys in each of the three ranges, two of which are 0 by construction (no visit began on
    // `/a`, none ended on `/`).
    expect(checked).toBeGreaterThanOrEqual(3 * 26)
  })

  it('take one filter at a time, and only those the measurement was published with', async () => {
    const values = { source: 'search', device: 'mobile', country: 'DE' } as const
    for (const list of LISTS) {
      const groupings = measurement(list.measurement).groupings
      for (const [name, value] of Object.entries(values)) {
        const path = url(list, 'exact', DAYS[0], RECENT, `&${name}=${value}`)
        const answer = await read<{ error: string; field: string; release: string }>(dp.url, path)
        if (name in groupings) {
          expect(answer.status, path).toBe(200)
          expect(answer.body.release, path).toBe('differential-privacy')
        } else {
          expect(answer.status, path).toBe(400)
          expect(answer.body, path).toMatchObject({ error: 'unsupported_filter', field: name })
        }
      }
    }
    // Filtered: the cells published for that filter. Every visitor saw `/` from search, `/a` not.
    const pages = LISTS[0] as ListCase
    const search = await rowsOf(dp, url(pages, 'exact', DAYS[0], RECENT, '&source=search'))
    expect(shownOf(pages, search)).toEqual(new Map([['/', [150, 150]]]))
    const two = await read(dp.url, url(pages, 'exact', DAYS[0], RECENT, '&device=mobile&country=DE'))
    expect(two.status).toBe(400)
    expect(two.body).toMatchObject({ error: 'unsupported_filter', field: 'country' })
    expect(String(two.body.message)).toContain('one filter at a time')
  })
})

describe('entry pages’ visit duration with DP on, over HTTP', () => {
  const ENTRY = LISTS.find((list) => list.path === '/entry-pages?') as ListCase

  it('is the engaged seconds of the visits begun on the page over those visits, as the k gate gives it', async () => {
    for (const [from, to] of RANGES) {
      const days = between(from, to)
      const path = url(ENTRY, 'exact', from, to)
      const [released, gated] = [await rowsOf(dp, path), await rowsOf(kGate, path)]
      // Every visit begins on `/`: 3 s there, and 6 s on `/a` for every other reader.
      const want = visitDurations(EXACT, days)
      expect(want.get('/'), path).toBeGreaterThan(3)
      expect(
        released.rows.map((row) => [row.path, row.visit_duration]),
        path,
      ).toEqual([...want])
      expect(
        gated.rows.map((row) => [row.path, row.visit_duration]),
        path,
      ).toEqual([...want])
      expect(released.rows[0]?.sd.visit_duration, path).toBe(0)
      expect(gated.rows[0]).not.toHaveProperty('sd')
    }
  })

  it('with noise: within six of its delta-method standard deviations of the truth', async () => {
    // The day's entry_exit cells as published: engaged seconds carry the noise of a sensitivity of
    // 3,600 s per visitor-day, so the day's mean over thousands of visits is still a rough figure.
    const plan = ON.groupings.find(
      (item) => item.measurement.id === 'entry_exit' && item.grouping === '' && item.grain === 'day',
    )
    const sigma = plan?.measures.find((item) => item.measure.name === 'engaged_seconds')?.stddev ?? 0
    expect(sigma).toBeGreaterThan(0)
    for (const [from, to] of [
      ['2026-09-02', '2026-09-02'],
      [RECENT, RECENT],
      ['2026-09-02', RECENT],
    ] as const) {
      const days = between(from, to)
      const path = url(ENTRY, 'noisy', from, to)
      const [home] = (await rowsOf(dp, path)).rows
      // 3 s on `/` and 6 s on `/a` for each visit, all begun on `/`.
      expect(visitDurations(NOISY, days).get('/')).toBe(9)
      expect(home?.path).toBe('/')
      const sd = home?.sd.visit_duration ?? 0
      // Var(E/N) ≈ (σ_E² + (E/N)² σ_N²) / N²: at least the engaged seconds' part, summed over the days.
      expect(sd, path).toBeGreaterThanOrEqual(
        0.98 * ((Math.sqrt(days.length) * sigma) / Number(home?.visits)),
      )
      expect(Math.abs(Number(home?.visit_duration) - 9), path).toBeLessThan(6 * sd)
    }
  })
})

describe('the subtraction attack of issue 15 on the pages route', () => {
  const SENSITIVE = '/c/sensitive-category'
  const visitorsOn = (answer: ListAnswer, path: string) =>
    answer.rows.find((entry) => entry.path === path) as Row | undefined
  const pagesOf = (service: ReadService, site: string, filter = '') =>
    rowsOf(service, `/api/stats/pages?site=${site}&from=${RECENT}&to=${RECENT}${filter}`)

  it('yields the lone visitor through the k gate, and nothing from the released figures', async () => {
    // K_ANON=5: every group passes the gate, and one subtraction finds the visitor from AT.
    const all = visitorsOn(await pagesOf(kGate, 'attack'), SENSITIVE)
    const de = visitorsOn(await pagesOf(kGate, 'attack', '&country=DE'), SENSITIVE)
    expect([all?.visitors, de?.visitors]).toEqual([6, 5])
    // Released: groups this small never passed the noisy threshold; there is nothing to subtract.
    expect((await pagesOf(dp, 'attack')).rows).toEqual([])
    expect((await pagesOf(dp, 'attack', '&country=DE')).rows).toEqual([])
  })

  it('leaves the difference in a crowd buried in noise, and repeating the question changes nothing', async () => {
    const gateAll = visitorsOn(await pagesOf(kGate, 'crowd'), SENSITIVE)
    const gateDe = visitorsOn(await pagesOf(kGate, 'crowd', '&country=DE'), SENSITIVE)
    expect((gateAll?.visitors ?? 0) - (gateDe?.visitors ?? 0)).toBe(1)

    const first = [await pagesOf(dp, 'crowd'), await pagesOf(dp, 'crowd', '&country=DE')]
    const all = visitorsOn(first[0] as ListAnswer, SENSITIVE)
    const de = visitorsOn(first[1] as ListAnswer, SENSITIVE)
    if (!all || !de) throw new Error('the crowd is past the threshold: both rows are released')
    expect(Math.abs(all.visitors - 3_001)).toBeLessThan(6 * (all.sd.visitors ?? 0))
    expect(Math.abs(de.visitors - 3_000)).toBeLessThan(6 * (de.sd.visitors ?? 0))
    // The noise of the difference dwarfs the one visitor it would reveal.
    const differenceSd = Math.hypot(all.sd.visitors ?? 0, de.sd.visitors ?? 0)
    expect(differenceSd).toBeGreaterThan(100)
    // Asking again returns the same released figures: nothing to average away.
    for (let ask = 0; ask < 10; ask++) {
      expect([await pagesOf(dp, 'crowd'), await pagesOf(dp, 'crowd', '&country=DE')]).toEqual(first)
    }
  })
})
