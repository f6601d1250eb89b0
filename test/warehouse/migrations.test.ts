import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_TYPES } from '../../schemas/events.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate, readMigrations, splitStatements } from '../../warehouse/migrate.ts'
import { BACKENDS } from '../support/backends.ts'
import { row } from '../support/rows.ts'

const ROLLUPS = [
  'traffic_hourly',
  'traffic_daily',
  'traffic_totals_daily',
  'pages_daily',
  'sources_daily',
  'tech_daily',
  'products_daily',
  'funnel_daily',
  'funnel_totals_daily',
  'transitions_daily',
  'offers_daily',
  'search_daily',
  'custom_daily',
  'custom_props_daily',
  'visits_daily',
  'visits_hourly',
  'engagement_daily',
  'entry_exit_daily',
  'entry_engaged_daily',
  'links_daily',
  'visitor_kinds_daily',
]
const BOOKKEEPING = ['schema_migrations', 'salts']
// The released (noisy) figures and the publish job's ledger of the periods it claimed (`claimed_at`
// says when the job ran, not when anyone did anything), and the exact per-day cells it keeps until
// the weeks and months of their days are published.
const RELEASED = ['released', 'release_ledger', 'exact_cells']
// Snapshots of releasable insights, written by the insights job: already thresholded, no events.
// With the counts of what each snapshot held back (reco_held_back): counts only, no group named; and
// the snapshots made from released cells with DP on (0041), the same rows with their noise.
const SNAPSHOTS = [
  'reco_affinity',
  'reco_offers',
  'reco_segments',
  'reco_held_back',
  'reco_affinity_released',
  'reco_offers_released',
  'reco_segments_released',
]

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>()
}

/** One event of every type, each filling the fields its rollups read. */
function everyKindOfEvent(visitor: string) {
  const product = { product_id: 'bp-1', category: 'brakes', price: 39.9, quantity: 1 }
  const order = {
    revenue: 79.8,
    currency: 'EUR',
    item_ids: ['bp-1'],
    item_categories: ['brakes'],
    item_prices: [39.9],
    item_quantities: [2],
    category: 'brakes',
  }
  const offer = { offer_id: 'spring', offer_variant: 'b' }
  return [
    row({
      visitor,
      type: 'pageview',
      path: '/p/:id',
      referrer_host: 'google.com',
      source: 'search',
      entry: 1,
      bounce: 1,
      visitor_kind: 'new',
    }),
    row({ visitor, type: 'product_view', ...product, prev_product_id: 'bp-0', prev_category: 'brakes' }),
    row({ visitor, type: 'add_to_cart', ...product, ...offer }),
    row({ visitor, type: 'remove_from_cart', ...product }),
    row({ visitor, type: 'checkout', ...order, ...offer }),
    row({ visitor, type: 'shipping_info', ...order }),
    row({ visitor, type: 'payment_info', ...order }),
    row({ visitor, type: 'purchase', ...order, ...offer }),
    // One of the two items given back: a refund's value is negated by the collector.
    row({ visitor, type: 'refund', ...order, item_quantities: [1], revenue: -39.9 }),
    row({ visitor, type: 'search', search_query: 'brake pads', search_results: 0 }),
    row({ visitor, type: 'offer_impression', ...offer }),
    row({ visitor, type: 'offer_click', ...offer }),
    row({ visitor, type: 'custom', name: 'newsletter', prop_keys: ['plan'], prop_values: ['pro'] }),
    row({
      visitor,
      type: 'engagement',
      path: '/p/:id',
      engaged_ms: 4000,
      scroll: 60,
      scroll_from: 20,
      entry_path: '/landing',
    }),
    row({ visitor, type: 'outbound', link_target: 'brembo.com' }),
    row({ visitor, type: 'download', link_target: '/files/guide.pdf' }),
    row({ visitor, type: 'not_found', path: '/old-page' }),
  ]
}

describe('migration files', () => {
  it('are numbered, ordered and portable', () => {
    const migrations = readMigrations()
    // Numbers are reserved per piece of work, so a range may have gaps; they only ever increase.
    const versions = migrations.map((m) => m.version)
    expect(versions[0]).toBe(1)
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1] as number)
    for (const migration of migrations) {
      const sql = migration.statements.join('\n')
      // Constructs that do not run on both ClickHouse 18.16 and 26.x.
      expect(sql).not.toMatch(/\bTTL\b|SimpleAggregateFunction|LowCardinality|GROUP BY ALL|uniqCombined64/i)
      for (const statement of migration.statements) expect(statement).toMatch(/IF NOT EXISTS/)
    }
  })

  it('split on statement ends, not on semicolons inside lines', () => {
    expect(splitStatements("-- a; comment\nSELECT 1;\nSELECT ';' AS x;\n")).toEqual([
      'SELECT 1',
      "SELECT ';' AS x",
    ])
  })
})

describe.each(BACKENDS)('migrations on $name', (backend) => {
  let warehouse: Warehouse
  let dispose: () => Promise<void>

  beforeAll(async () => {
    if (!backend.available) return
    ;({ warehouse, dispose } = await backend.open())
  })
  afterAll(async () => {
    await dispose?.()
  })

  it.skipIf(!backend.available)('apply on a fresh warehouse and are recorded', async () => {
    const report = await migrate(warehouse)
    expect(report.applied).toEqual(readMigrations().map((m) => m.name))
    const recorded = await rows<{ version: number }>(
      warehouse,
      'SELECT version FROM schema_migrations ORDER BY version',
    )
    expect(recorded.map((r) => Number(r.version))).toEqual(readMigrations().map((m) => m.version))
  })

  it.skipIf(!backend.available)('re-apply as a no-op', async () => {
    const before = await rows<{ name: string }>(
      warehouse,
      'SELECT name FROM system.tables WHERE database = currentDatabase()',
    )
    expect((await migrate(warehouse)).applied).toEqual([])
    const after = await rows<{ name: string }>(
      warehouse,
      'SELECT name FROM system.tables WHERE database = currentDatabase()',
    )
    expect(after.map((t) => t.name).sort()).toEqual(before.map((t) => t.name).sort())
    const [count] = await rows<{ n: number }>(warehouse, 'SELECT count() AS n FROM schema_migrations')
    expect(Number(count?.n)).toBe(readMigrations().length)
  })

  it.skipIf(!backend.available)('keep no table but rollups and bookkeeping', async () => {
    const tables = await rows<{ name: string; engine: string }>(
      warehouse,
      "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND engine != 'MaterializedView'",
    )
    const stored = tables.filter((t) => t.engine !== 'Null').map((t) => t.name)
    expect(stored.sort()).toEqual([...ROLLUPS, ...BOOKKEEPING, ...SNAPSHOTS, ...RELEASED].sort())
    expect(tables.find((t) => t.name === 'events_in')?.engine).toBe('Null')
  })

  it.skipIf(!backend.available)('fill every rollup from events_in and store no event row', async () => {
    const events = Array.from({ length: 20 }, (_, i) => everyKindOfEvent(String(1000 + i))).flat()
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_TYPES))
    await insertEvents(warehouse, events)

    for (const table of ROLLUPS) {
      const [count] = await rows<{ n: number }>(warehouse, `SELECT count() AS n FROM ${table}`)
      expect(Number(count?.n), `${table} received rows`).toBeGreaterThan(0)
      // Twenty visitors doing the same things fold into the same rows: rows do not track events.
      expect(Number(count?.n), `${table} is aggregated`).toBeLessThan(events.length / 10)
    }
    const [inbox] = await rows<{ n: number }>(warehouse, 'SELECT count() AS n FROM events_in')
    expect(Number(inbox?.n)).toBe(0)

    const [pages] = await rows<{ pageviews: number; visitors: number }>(
      warehouse,
      "SELECT sumMerge(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS visitors FROM pages_daily WHERE site = 'demo'",
    )
    expect(pages).toEqual({ pageviews: 20, visitors: 20 })
    const [items] = await rows<{ purchases: number; quantity: number; revenue: number }>(
      warehouse,
      "SELECT sumMerge(purchases) AS purchases, sumMerge(quantity) AS quantity, sumMerge(revenue) AS revenue FROM products_daily WHERE product_id = 'bp-1'",
    )
    expect(items?.purchases).toBe(20)
    expect(items?.quantity).toBe(40)
    // Each visitor's refund of one item is subtracted from the product's revenue.
    expect(items?.revenue).toBeCloseTo(20 * (2 - 1) * 39.9, 6)
    const funnel = await rows<{ step: string; events: number; revenue: number }>(
      warehouse,
      "SELECT step, sumMerge(events) AS events, sumMerge(revenue) AS revenue FROM funnel_totals_daily WHERE step IN ('shipping_info', 'payment_info', 'refund') GROUP BY step ORDER BY step",
    )
    expect(funnel).toEqual([
      { step: 'payment_info', events: 20, revenue: expect.closeTo(20 * 79.8, 6) },
      { step: 'refund', events: 20, revenue: expect.closeTo(-20 * 39.9, 6) },
      { step: 'shipping_info', events: 20, revenue: expect.closeTo(20 * 79.8, 6) },
    ])
    // Engaged time lands on the visit's entry page, whatever page it was spent on.
    const entryTime = await rows<Record<string, number | string>>(
      warehouse,
      `SELECT path, sumMerge(reports) AS reports, sumMerge(engaged_ms) AS engaged_ms
       FROM entry_engaged_daily WHERE site = 'demo' GROUP BY path ORDER BY path`,
    )
    expect(entryTime).toEqual([{ path: '/landing', reports: 20, engaged_ms: 80_000 }])
  })

  it.skipIf(!backend.available)(
    'pair every visitor sketch with a column for its finalized count',
    async () => {
      const columns = await rows<{ table: string; name: string }>(
        warehouse,
        "SELECT table, name FROM system.columns WHERE database = currentDatabase() AND type LIKE 'AggregateFunction(uniqCombined%'",
      )
      const finals = await rows<{ table: string }>(
        warehouse,
        "SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'visitors_final'",
      )
      expect(columns.length).toBeGreaterThan(0)
      expect(columns.every((c) => c.name === 'visitors')).toBe(true)
      expect(finals.map((f) => f.table).sort()).toEqual(columns.map((c) => c.table).sort())
    },
  )

  it.skipIf(!backend.available)('hold no time finer than the hour', async () => {
    const columns = await rows<{ table: string; name: string; type: string }>(
      warehouse,
      "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND type LIKE 'DateTime%'",
    )
    // `computed_at` of a snapshot and `claimed_at` of a publication say when a job ran, not when
    // anyone did anything.
    const fine = columns.filter(
      (c) =>
        !BOOKKEEPING.includes(c.table) &&
        !(c.table === 'release_ledger' && c.name === 'claimed_at') &&
        c.name !== 'hour' &&
        !(SNAPSHOTS.includes(c.table) && c.name === 'computed_at') &&
        !(c.table === 'release_ledger' && c.name === 'claimed_at'),
    )
    expect(fine).toEqual([])
    const [traffic] = await rows<{ n: number }>(
      warehouse,
      'SELECT count() AS n FROM traffic_hourly WHERE toMinute(hour) != 0 OR toSecond(hour) != 0',
    )
    expect(Number(traffic?.n)).toBe(0)
  })
})
