import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWarehouse } from '../../aggregator/audit/audit.ts'
import { finalizeSketches } from '../../aggregator/jobs/finalize-sketches.ts'
import { computeInsights } from '../../aggregator/jobs/insights.ts'
import { enforceRetention } from '../../aggregator/jobs/retention.ts'
import { clickHouseServerAvailable } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { majorVersion, openTempServer } from '../support/warehouse.ts'

// The jobs pass values as query parameters, which ClickHouse has from 19 on. On Debian's 18.16
// they must refuse in words, not fail with a syntax error in the middle of their work.
describe.skipIf(!clickHouseServerAvailable())('aggregator jobs on a ClickHouse server older than 19', () => {
  let warehouse: Warehouse
  let dispose: (() => Promise<void>) | undefined

  beforeAll(async () => {
    const opened = await openTempServer()
    if (!opened) return // No migrations: the jobs must refuse before they read a table.
    ;({ warehouse, dispose } = opened)
  })
  afterAll(async () => {
    await dispose?.()
  })

  it('refuse with the version they need', async (context) => {
    if ((await majorVersion(warehouse)) >= 19) context.skip()
    const now = new Date('2026-11-20T00:00:00Z')
    for (const job of [
      () => finalizeSketches(warehouse, now),
      () => enforceRetention(warehouse, now),
      () => computeInsights(warehouse, now, { kAnon: 5 }),
      () => auditWarehouse(warehouse, now, { kAnon: 5 }),
    ]) {
      await expect(job()).rejects.toThrow(/needs ClickHouse 19 or later .*18\.16/)
    }
  })
})
