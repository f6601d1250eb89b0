import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import type { StatsQuery } from '../../api/params.ts'
import { funnelTable, getFunnelSteps } from '../../api/queries/getFunnelSteps.ts'
import { getTrafficByType, trafficTable } from '../../api/queries/getTrafficByType.ts'
import type { EventRow } from '../../schemas/row.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate, readMigrations } from '../../warehouse/migrate.ts'
import { row } from '../support/rows.ts'
import { openTempEmbedded } from '../support/warehouse.ts'

/*
 * Without filters the overview reads `traffic_totals_daily` (one sketch per day and type) and the
 * funnel `funnel_totals_daily` (one per day and step) instead of merging every source, device,
 * country (and category) of `traffic_daily` and `funnel_daily`. Their figures must be those of
 * the detailed tables exactly: visitors (for finalized days the pooled sum of per-row counts) and the
 * lower bound the k gate tests. Checked on days with sketches, on finalized days, with rows that
 * arrive late for a finalized day, for data the migration copied from `traffic_daily` and for data
 * the view wrote, and on a day large enough for the sketches to be HyperLogLogs.
 */

const SOURCES = ['search', 'social', 'email', 'direct']
const DEVICES = ['desktop', 'mobile', 'tablet']
const COUNTRIES = ['DE', 'FR', 'NL', 'AT', 'CH']

/** `visitors` people on `day`; some seen from two sources, devices vary, a few buy. */
function dayOfTraffic(day: string, visitors: number, offset = 0): EventRow[] {
  const rows: EventRow[] = []
  for (let v = 0; v < visitors; v++) {
    const visitor = String(1_000_000 + offset + v)
    const common = {
      site: 'shop',
      visitor,
      device: DEVICES[v % 3] as string,
      country: COUNTRIES[v % 5] as string,
      hour: `${day} ${String(8 + (v % 12)).padStart(2, '0')}:00:00`,
    }
    rows.push(row({ ...common, source: SOURCES[v % 4] as string, path: `/p/${v % 7}` }))
    if (v % 3 === 0) rows.push(row({ ...common, source: SOURCES[(v + 1) % 4] as string, path: '/' }))
    if (v % 5 === 0)
      rows.push(
        row({ ...common, type: 'product_view', product_id: 'bp-1', category: v % 2 ? 'brakes' : 'tyres' }),
      )
    if (v % 11 === 0) {
      rows.push(row({ ...common, type: 'purchase', revenue: 10 + (v % 7), currency: 'EUR', source: 'email' }))
    }
  }
  return rows
}

const site = 'shop'
const range = (from: string, to = from): StatsQuery => ({ site, from, to })
const RANGES = [
  range('2026-03-09'),
  range('2026-03-10'),
  range('2026-03-12'),
  range('2026-03-19'),
  range('2026-03-01', '2026-03-31'),
  range('2026-02-01', '2026-02-28'),
]

let warehouse: Warehouse
let dispose: () => Promise<void>

async function bothTables(query: StatsQuery) {
  const detailed = await getTrafficByType(warehouse, query, 'traffic_daily')
  const totals = await getTrafficByType(warehouse, query, 'traffic_totals_daily')
  return { detailed, totals }
}

async function expectSameFigures(): Promise<void> {
  for (const query of RANGES) {
    const { detailed, totals } = await bothTables(query)
    expect(totals, `${query.from} to ${query.to}`).toEqual(detailed)
    const funnel = await getFunnelSteps(warehouse, query, 'funnel_totals_daily')
    expect(funnel, `funnel ${query.from} to ${query.to}`).toEqual(
      await getFunnelSteps(warehouse, query, 'funnel_daily'),
    )
  }
}

beforeAll(async () => {
  ;({ warehouse, dispose } = await openTempEmbedded())
  // The warehouse as it was before the totals existed: its data is copied by the migration.
  await migrate(
    warehouse,
    readMigrations().filter((migration) => migration.version < 9),
  )
  await insertEvents(warehouse, [
    ...dayOfTraffic('2026-03-09', 40),
    ...dayOfTraffic('2026-03-10', 6000),
    ...dayOfTraffic('2026-03-19', 25),
  ])
  // Salts of the 18th and 19th remain: the 9th and 10th become counts.
  await finalizeSketches(warehouse, new Date('2026-03-19T00:10:00Z'))
  // Late rows for the finalized 9th: the same people again, and new ones.
  await insertEvents(warehouse, dayOfTraffic('2026-03-09', 30, 10))
  await migrate(warehouse)
})

afterAll(async () => {
  await dispose?.()
})

describe('the overview and the funnel from the totals', () => {
  it('are read only when no filter is given', () => {
    expect(funnelTable(range('2026-03-10'))).toBe('funnel_totals_daily')
    expect(funnelTable({ ...range('2026-03-10'), category: 'brakes' })).toBe('funnel_daily')
    expect(trafficTable(range('2026-03-10'))).toBe('traffic_totals_daily')
    expect(trafficTable({ ...range('2026-03-10'), device: 'mobile' })).toBe('traffic_daily')
    expect(trafficTable({ ...range('2026-03-10'), source: 'search' })).toBe('traffic_daily')
    expect(trafficTable({ ...range('2026-03-10'), country: 'DE' })).toBe('traffic_daily')
  })

  it('gives the figures of traffic_daily for the days the migration copied', async () => {
    await expectSameFigures()
    // The figures compared are the interesting ones: a finalized day pools its rows' counts
    // (people seen from two sources count twice) above the lower bound, a recent day does not.
    const [finalized] = (await bothTables(range('2026-03-10'))).totals.filter((r) => r.type === 'pageview')
    // 6,000 people, a third of them from two sources: about 8,000 pooled; 60 rows, about 200 the largest.
    expect(finalized?.visitors).toBeGreaterThan(7500)
    expect(finalized?.visitors_floor).toBeGreaterThan(100)
    expect(finalized?.visitors_floor).toBeLessThan(1000)
    const [recent] = (await bothTables(range('2026-03-19'))).totals.filter((r) => r.type === 'pageview')
    expect(recent).toMatchObject({ visitors: 25, visitors_floor: 25, events: 25 + 9 })
  })

  it('gives them for what the view writes, before and after finalize-sketches', async () => {
    await insertEvents(warehouse, [
      ...dayOfTraffic('2026-03-12', 5000, 3),
      ...dayOfTraffic('2026-03-19', 40, 100),
      // Late again for a finalized day, through the view this time.
      ...dayOfTraffic('2026-03-10', 50, 7),
    ])
    await expectSameFigures()
    const report = await finalizeSketches(warehouse, new Date('2026-03-21T00:10:00Z'))
    expect(report.finalized.traffic_totals_daily).toBeGreaterThan(0)
    expect(report.finalized.funnel_totals_daily).toBeGreaterThan(0)
    await expectSameFigures()
    // A second run finds nothing to do and changes nothing.
    await finalizeSketches(warehouse, new Date('2026-03-21T00:10:00Z'))
    await expectSameFigures()
  })

  it('leaves no sketch of a finalized day behind', async () => {
    const result = await warehouse.client.query({
      query: `SELECT count() AS n FROM (
        SELECT visitors, day FROM traffic_totals_daily
        UNION ALL SELECT visitors, day FROM funnel_totals_daily
      ) WHERE day < {cutoff:Date} AND finalizeAggregation(visitors) > 0`,
      query_params: { cutoff: '2026-03-20' },
      format: 'JSONEachRow',
    })
    expect(await result.json()).toEqual([{ n: 0 }])
  })
})
