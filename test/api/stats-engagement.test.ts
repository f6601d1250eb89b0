import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempEmbedded } from '../support/warehouse.ts'
import { ev, figures, type ReadService, read, SHOP, send, startReadService } from './support.ts'

/**
 * The visit and engagement views through the real collector and read API, on chDB (the reads use
 * `{name:Type}` parameters, which ClickHouse 18.16 lacks; migrations.test.ts fills the same rollups
 * on 18.16):
 * figures from known visits, the k gate on every new view, and the filters.
 *
 * On 2026-03-10, 6 visitors from DE (desktop) each make one visit: 3 bounce on /, 3 read / then
 * /p/a then /p/b (exit on /p/b), each page engaged 10 s; plus 2 outbound clicks to brembo.com,
 * a download and a 404 per visitor. Every report names / as its visit's entry page, so / has
 * 3 × 10 s + 3 × 30 s over 6 visits = 20 s per visit. On 2026-03-09 (the previous period), 5
 * visitors bounce on /.
 */

const K = 5
const RANGE = 'site=shop&from=2026-03-10&to=2026-03-10'
// A report of time on `path`, in a visit that began on `entry` (the beacon sends its landing URL).
const engaged = (path: string, ms: number, scroll: number, from = 0, entry = '/') => ({
  type: 'engagement',
  site: 'shop',
  url: `${SHOP}${path}`,
  ms,
  scroll,
  scroll_from: from,
  entry: `${SHOP}${entry}`,
})

describe('visits and engagement through the read API', () => {
  let service: ReadService
  let dispose: () => Promise<void>

  beforeAll(async () => {
    const opened = await openTempEmbedded()
    dispose = opened.dispose
    service = await startReadService(opened.warehouse, { K_ANON: String(K) })
    service.setNow('2026-03-09T12:00:00Z')
    for (let i = 0; i < 5; i++) {
      await send(service.url, { ip: `192.0.2.${100 + i}`, country: 'DE' }, [
        ev.pageview('/', { visit_page: 1, returning: false }),
        engaged('/', 5_000, 100),
      ])
    }
    service.setNow('2026-03-10T12:00:00Z')
    for (let i = 0; i < 6; i++) {
      const person = { ip: `192.0.2.${i + 1}`, country: 'DE' }
      const returning = i % 2 === 1
      if (i < 3) {
        await send(service.url, person, [
          ev.pageview('/', { visit_page: 1, returning }),
          engaged('/', 10_000, 40),
        ])
      } else {
        await send(service.url, person, [
          ev.pageview('/', { visit_page: 1, returning }),
          engaged('/', 10_000, 30),
          ev.pageview('/p/a', { visit_page: 2, prev: { url: `${SHOP}/` } }),
          engaged('/p/a', 10_000, 60),
          engaged('/p/a', 0, 100, 60),
          ev.pageview('/p/b', { visit_page: 3, prev: { url: `${SHOP}/p/a` } }),
          engaged('/p/b', 10_000, 20),
        ])
      }
      await send(service.url, person, [
        { type: 'outbound', site: 'shop', url: `${SHOP}/`, link: 'https://www.brembo.com/pads' },
        { type: 'outbound', site: 'shop', url: `${SHOP}/`, link: 'https://brembo.com/discs' },
        { type: 'download', site: 'shop', url: `${SHOP}/`, link: `${SHOP}/files/guide.pdf` },
        { type: 'not_found', site: 'shop', url: `${SHOP}/old-page` },
      ])
    }
    // Two visitors whose one visit is below k, from another country: held back wherever it stands alone.
    for (let i = 0; i < 2; i++) {
      await send(service.url, { ip: `192.0.2.${50 + i}`, country: 'FR' }, [
        ev.pageview('/rare', { visit_page: 1, returning: false }),
        { type: 'outbound', site: 'shop', url: `${SHOP}/rare`, link: 'https://rare.example/' },
      ])
    }
    await service.flush()
  }, 120_000)

  afterAll(async () => {
    await service?.close()
    await dispose?.()
  })

  it('overview: visits, views per visit, bounce rate and visit duration, against the previous period', async () => {
    const { status, body } = await read<{
      current: Record<string, unknown>
      previous: Record<string, unknown>
    }>(service.url, `/api/stats/overview?${RANGE}`)
    expect(status).toBe(200)
    // 8 visits (6 + 2 from FR): 12 + 2 = 14 pageviews; 5 bounces; 6 × 10 s + 3 × 20 s = 120 s.
    expect(body.current).toMatchObject({
      visits: 8,
      views_per_visit: 1.75,
      bounce_rate: 0.625,
      visit_duration: 15,
    })
    expect(body.previous).toMatchObject({
      visits: 5,
      views_per_visit: 1,
      bounce_rate: 1,
      visit_duration: 5,
    })
    const filtered = await read<{ current: Record<string, unknown> }>(
      service.url,
      `/api/stats/overview?${RANGE}&country=DE`,
    )
    expect(filtered.body.current).toMatchObject({
      visits: 6,
      views_per_visit: 2,
      bounce_rate: 0.5,
      visit_duration: 20,
    })
  })

  it('timeseries: visits per day and per hour', async () => {
    const days = await read<{ rows: Array<{ time: string; visits: number }> }>(
      service.url,
      '/api/stats/timeseries?site=shop&from=2026-03-09&to=2026-03-10',
    )
    expect(days.body.rows.map(({ time, visits }) => ({ time, visits }))).toEqual([
      { time: '2026-03-09', visits: 5 },
      { time: '2026-03-10', visits: 8 },
    ])
    const hours = await read<{ rows: Array<{ time: string; visits: number }> }>(
      service.url,
      `/api/stats/timeseries?${RANGE}&interval=hour`,
    )
    expect(hours.body.rows.map(({ time, visits }) => ({ time, visits }))).toEqual([
      { time: '2026-03-10T12:00:00Z', visits: 8 },
    ])
  })

  it('entry and exit pages, with the small group held back', async () => {
    const entry = await read<{ rows: unknown[]; suppressed: number }>(
      service.url,
      `/api/stats/entry-pages?${RANGE}`,
    )
    // The time of /p/a and /p/b belongs to the visits that began on /: 120 s over 6 visits (on its own
    // pages, / holds only 60 s of it).
    expect(figures(entry.body)).toEqual({
      rows: [{ path: '/', visits: 6, bounce_rate: 0.5, visit_duration: 20, visitors: 6 }],
      suppressed: 1,
    })
    // The filters apply to the engaged time as to the visits: no visit began on / from FR.
    const fromFr = await read<{ rows: unknown[] }>(service.url, `/api/stats/entry-pages?${RANGE}&country=FR`)
    expect(fromFr.body.rows).toEqual([])
    const fromDe = await read<{ rows: unknown[] }>(service.url, `/api/stats/entry-pages?${RANGE}&country=DE`)
    expect(fromDe.body.rows).toEqual([
      { path: '/', visits: 6, bounce_rate: 0.5, visit_duration: 20, visitors: 6 },
    ])
    const exit = await read<{ rows: unknown[]; suppressed: number }>(
      service.url,
      `/api/stats/exit-pages?${RANGE}`,
    )
    // /p/b: 3 exits of 3 views, but only 3 visitors: below k. / keeps its 3 bounces.
    expect(figures(exit.body)).toEqual({
      rows: [{ path: '/', exits: 3, pageviews: 6, exit_rate: 0.5, visitors: 6 }],
      suppressed: 2,
    })
  })

  it('engagement per page: time on page and scroll quartiles', async () => {
    const { body } = await read<{ rows: unknown[] }>(service.url, `/api/stats/engagement?${RANGE}&country=DE`)
    expect(body.rows).toEqual([
      {
        path: '/',
        pageviews: 6,
        time_on_page: 10,
        scroll_depth: 35,
        reached_25: 1,
        reached_50: 0,
        reached_75: 0,
        reached_100: 0,
        visitors: 6,
      },
    ])
  })

  it('outbound links, downloads, pages not found and new vs returning', async () => {
    const outbound = await read<{ rows: unknown[]; suppressed: number }>(
      service.url,
      `/api/stats/outbound-links?${RANGE}`,
    )
    expect(figures(outbound.body)).toEqual({
      rows: [{ target: 'brembo.com', events: 12, visitors: 6 }],
      suppressed: 1,
    })
    const downloads = await read<{ rows: unknown[] }>(service.url, `/api/stats/downloads?${RANGE}`)
    expect(downloads.body.rows).toEqual([{ target: '/files/guide.pdf', events: 6, visitors: 6 }])
    const missing = await read<{ rows: unknown[] }>(service.url, `/api/stats/not-found?${RANGE}`)
    expect(missing.body.rows).toEqual([{ target: '/old-page', events: 6, visitors: 6 }])
    // 3 returning of 6 visitors from DE, 3 + 2 new: returning is below k.
    const kinds = await read<{ rows: unknown[]; suppressed: number }>(
      service.url,
      `/api/stats/new-returning?${RANGE}`,
    )
    expect(figures(kinds.body)).toEqual({ rows: [{ kind: 'new', visits: 5, visitors: 5 }], suppressed: 1 })
  })

  it('refuses a filter a view cannot answer, and an unknown link kind is no route', async () => {
    const custom = await read(service.url, `/api/stats/custom-props?${RANGE}&country=DE`)
    expect(custom.status).toBe(400)
    expect(custom.body).toMatchObject({ field: 'country' })
    expect((await read(service.url, `/api/stats/engagement?${RANGE}&category=brakes`)).status).toBe(400)
  })
})
