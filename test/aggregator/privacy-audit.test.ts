import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWarehouse } from '../../aggregator/audit/audit.ts'
import { formatAuditReport } from '../../aggregator/audit/report.ts'
import { aggregatorJobs } from '../../aggregator/job-list.ts'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import { SKETCH_ROLLUPS } from '../../aggregator/rollups.ts'
import { Metrics } from '../../core/metrics.ts'
import { privacyFrom } from '../../schemas/privacy.ts'
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts'
import { insertEvents } from '../../warehouse/insert-events.ts'
import { migrate } from '../../warehouse/migrate.ts'
import { createSaltCache } from '../../warehouse/salt-cache.ts'
import { createSaltStore } from '../../warehouse/salts.ts'
import { row } from '../support/rows.ts'
import { runToExit } from '../support/run.ts'
import { everyKindOfEvent } from './support.ts'

const dir = mkdtempSync(join(tmpdir(), 'tally-audit-'))
let warehouse: Warehouse

const NOW = new Date('2026-11-20T06:00:00Z')
const OPTIONS = { kAnon: 5 }

beforeAll(async () => {
  warehouse = await openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
  await migrate(warehouse)
  // A day of a small shop: 1,500 events from 150 visitors, yesterday's sketches finalized away.
  for (const day of ['2026-11-17', '2026-11-19', '2026-11-20']) {
    const events = Array.from({ length: 50 }, (_, i) =>
      everyKindOfEvent(String(i), `${day} 0${i % 4}:00:00`),
    ).flat()
    await insertEvents(warehouse, events)
  }
  const salts = createSaltStore(warehouse, { now: () => NOW })
  await salts.forDay('2026-11-19')
  await salts.forDay('2026-11-20')
  await finalizeSketches(warehouse, NOW)
  await computeInsights(warehouse, NOW, OPTIONS)
})
afterAll(async () => {
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

const violationsOf = async () => (await auditWarehouse(warehouse, NOW, OPTIONS)).violations

describe('privacy audit', () => {
  it('passes a clean warehouse, and says what it checked', async () => {
    const report = await auditWarehouse(warehouse, NOW, OPTIONS)
    expect(report.violations).toEqual([])
    expect(report.tables).toEqual(expect.arrayContaining(['pages_daily', 'salts', 'reco_offers']))
    expect(report.values).toBeGreaterThan(0)
    const text = formatAuditReport(report)
    expect(text).toContain('PASS')
    expect(text).toContain('no visitor sketch older than 48 hours')
  })

  it('exposes the last result on /metrics through the scheduled job', async () => {
    const metrics = new Metrics()
    const jobs = aggregatorJobs({
      warehouse,
      config: { kAnon: 5, retentionDays: 395, privacy: privacyFrom(1, 1e-7, false) },
      metrics,
      salts: createSaltStore(warehouse, { now: () => NOW }),
      leads: true,
    })
    expect(metrics.value('tally_audit_violations')).toBeNaN()
    await jobs.find((job) => job.name === 'privacy-audit')?.run(NOW)
    expect(metrics.render()).toContain('tally_audit_violations 0\n')
  })

  it('finds an e-mail address in a rollup, naming table and column, without repeating it', async () => {
    await insertEvents(warehouse, [
      row({ hour: '2026-11-20 05:00:00', path: '/account/jane.doe@example.com' }),
    ])
    const found = await violationsOf()
    // Every rollup that keeps a pageview's path: pages, engagement, entry and exit pages.
    expect(found.map((one) => one.table).sort()).toEqual([
      'engagement_daily',
      'entry_exit_daily',
      'pages_daily',
    ])
    for (const one of found) {
      expect(one).toMatchObject({ rule: 'identifier-value', column: 'path' })
      expect(one.detail).toContain('an e-mail address')
      expect(JSON.stringify(one)).not.toContain('jane')
    }
  })

  it('finds a salt older than yesterday, a sketch older than 48 hours and a row under k', async () => {
    await warehouse.client.insert({
      table: 'salts',
      format: 'JSONEachRow',
      values: [{ day: '2026-11-18', salt: 'ab'.repeat(32), created_at: '2026-11-18 00:00:01' }],
    })
    await insertEvents(warehouse, everyKindOfEvent('77', '2026-11-16 10:00:00'))
    await warehouse.client.insert({
      table: 'reco_segments',
      format: 'JSONEachRow',
      values: [
        {
          site: 'demo',
          segment: 'x',
          device: 'x',
          country: 'x',
          source: 'x',
          category: 'x',
          visitors: 2,
          computed_at: '2026-11-20 06:00:00',
        },
      ],
    })
    const violations = await violationsOf()
    const tablesBy = (rule: string) =>
      violations
        .filter((v) => v.rule === rule)
        .map((v) => v.table)
        .sort()
    expect(tablesBy('old-salt')).toEqual(['salts'])
    expect(violations.find((v) => v.rule === 'old-salt')?.detail).toContain('2026-11-18')
    expect(tablesBy('old-sketch')).toContain('pages_daily')
    expect(tablesBy('old-sketch')).toContain('traffic_totals_daily')
    // Every daily rollup with a sketch: each gets a row from one event of every kind.
    expect(tablesBy('old-sketch')).toHaveLength(SKETCH_ROLLUPS.length)
    expect(tablesBy('under-k')).toEqual(['reco_segments'])
  })

  it('finds a table of per-event rows with per-event times', async () => {
    await warehouse.client.command({
      query: "CREATE TABLE raw_hits (at DateTime('UTC'), path String) ENGINE = MergeTree() ORDER BY at",
    })
    await warehouse.client.insert({
      table: 'raw_hits',
      format: 'JSONEachRow',
      values: Array.from({ length: 1200 }, (_, i) => ({ at: 1_795_000_000 + i * 7, path: '/' })),
    })
    const violations = (await violationsOf()).filter((v) => v.table === 'raw_hits')
    expect(violations.map((v) => v.rule).sort()).toEqual(['finer-than-hour', 'rows-track-events'])
  })

  it('finds a publication without noise and a released cell under k', async () => {
    const day = '2026-11-19'
    await warehouse.client.insert({
      table: 'release_ledger',
      format: 'JSONEachRow',
      values: [
        { site: 'demo', grain: 'day', day, token: 't', claimed_at: `${day} 00:00:00`, mechanism: 'off' },
      ],
    })
    const cell = { site: 'demo', grain: 'day', day, grouping: '', measure: 'visitors', value: 2 }
    await warehouse.client.insert({
      table: 'released',
      format: 'JSONEachRow',
      // A page of 2 visitors is under k; the count of a public domain (event types) may be.
      values: [
        { ...cell, measurement: 'pages', k1: '/lonely' },
        { ...cell, measurement: 'traffic', k1: 'custom' },
      ],
    })
    const violations = await violationsOf()
    expect(violations.find((v) => v.rule === 'unnoised-release')).toMatchObject({
      table: 'release_ledger',
      detail: expect.stringContaining('1 publications without noise'),
    })
    expect(violations.find((v) => v.rule === 'under-k' && v.table === 'released')?.detail).toContain(
      '1 released cells with fewer than 5',
    )
    // Both cells belong to a claimed period of known measurements.
    expect(violations.find((v) => v.rule === 'unclaimed-release')).toBeUndefined()
  })

  it('finds released cells written around the release step', async () => {
    const cell = { site: 'demo', grain: 'day', grouping: '', measure: 'visitors', value: 900 }
    await warehouse.client.insert({
      table: 'released',
      format: 'JSONEachRow',
      values: [
        // A day nobody claimed, and a measurement the release step does not know.
        { ...cell, day: '2026-11-21', measurement: 'pages', k1: '/a' },
        { ...cell, day: '2026-11-19', measurement: 'raw_paths', k1: '/b' },
      ],
    })
    const found = (await violationsOf()).find((v) => v.rule === 'unclaimed-release')
    expect(found).toMatchObject({ table: 'released' })
    expect(found?.detail).toContain('2 released cells of no known measurement or of a period')
  })

  it('runs as `npm run audit`: a readable report and a non-zero exit on a violation', async () => {
    await warehouse.close()
    // A salt a collector cached on disk and kept past its day.
    createSaltCache(join(dir, 'salts')).write('2020-01-01', new Uint8Array(32).fill(7))
    const { code, output } = await runToExit(['--import', 'tsx', 'aggregator/audit-cli.ts'], {
      ...process.env,
      DATA_DIR: dir,
      CLICKHOUSE_URL: '',
      LOG_LEVEL: 'silent',
    })
    expect(code, output).toBe(1)
    expect(output).toContain('FAIL')
    expect(output).toMatch(/\[identifier-value\] pages_daily\.path/)
    expect(output).toMatch(/\[old-salt\] salts/)
    expect(output).toContain(`[old-salt] ${join(dir, 'salts')}: cached salts of 2020-01-01 still exist`)
    expect(output).not.toContain('jane')
    // It names what it inspected.
    expect(output).toContain(`embedded warehouse at ${join(dir, 'clickhouse')}, database tally`)
  })
})

describe('`npm run audit` with nothing to inspect', () => {
  const audit = (env: Record<string, string>) =>
    runToExit(['--import', 'tsx', 'aggregator/audit-cli.ts'], {
      ...process.env,
      CLICKHOUSE_URL: '',
      LOG_LEVEL: 'silent',
      ...env,
    })

  it('exits 2 and creates nothing where there is no warehouse', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tally-audit-none-'))
    try {
      const { code, output } = await audit({ DATA_DIR: empty })
      expect(code, output).toBe(2)
      expect(output).toContain(`could not run: no embedded warehouse at ${join(empty, 'clickhouse')}`)
      expect(output).not.toContain('PASS')
      expect(existsSync(join(empty, 'clickhouse'))).toBe(false)
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('exits 2 on a warehouse without Tally tables, and creates no database in it', async () => {
    const foreign = mkdtempSync(join(tmpdir(), 'tally-audit-foreign-'))
    try {
      const other = await openWarehouse({ kind: 'embedded', path: foreign, database: 'other' })
      await other.close()
      const missing = await audit({ DATA_DIR: foreign })
      expect(missing.code, missing.output).toBe(2)
      expect(missing.output).toContain('could not run: no database tally')

      const { code, output } = await audit({ DATA_DIR: foreign, CLICKHOUSE_DATABASE: 'other' })
      expect(code, output).toBe(2)
      expect(output).toContain(
        `could not run: no Tally tables in the embedded warehouse at ${join(foreign, 'clickhouse')}, database other`,
      )
      expect(output).not.toContain('PASS')

      const check = await openWarehouse({ kind: 'embedded', path: foreign, database: 'other' })
      const databases = await (
        await check.client.query({ query: 'SHOW DATABASES', format: 'JSONEachRow' })
      ).json<{ name: string }>()
      await check.close()
      expect(databases.map((row) => row.name)).not.toContain('tally')
    } finally {
      rmSync(foreign, { recursive: true, force: true })
    }
  })
})
