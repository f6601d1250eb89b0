import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Warehouse } from '../../warehouse/client.ts'
import { migrate, readMigrations } from '../../warehouse/migrate.ts'
import { drained } from '../reliability/support.ts'
import {
  CLUSTER_NAME,
  type ClickHouseCluster,
  clusterUnavailable,
  startClickHouseCluster,
} from '../support/clickhouse-cluster.ts'
import { CHROME_UA } from '../support/http.ts'
import { type ServiceProcess, spawnService, stopService } from '../support/process.ts'
import { filesUnder, openClusterWarehouse, query, type Sent, send } from './support.ts'

/**
 * Tally on a two-shard ClickHouse cluster (two real 18.16 servers and a ZooKeeper on loopback),
 * with two instances of the service, each talking to a different node and both started at once.
 * Visitors send events to both instances; the aggregates read through the Distributed rollups
 * count every acknowledged event exactly once, both shards hold a part of them, both instances
 * hashed each visitor the same way, and no per-event row was left anywhere on disk.
 */

const unavailable = clusterUnavailable()
if (unavailable) console.warn(`[cluster] skipped: ${unavailable}`)

const VISITORS = 24
const PER_VISITOR = 10

describe.skipIf(unavailable !== undefined)('Tally on a two-shard ClickHouse cluster', () => {
  let cluster: ClickHouseCluster
  const services: ServiceProcess[] = []

  beforeAll(async () => {
    const started = await startClickHouseCluster()
    if (!started) throw new Error('the cluster could not start')
    cluster = started
  }, 120_000)

  afterAll(async () => {
    for (const service of services) await stopService(service)
    await cluster?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  // Each instance its own write-ahead log, as on separate machines.
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-cluster-'))
  const env = (node: number): Record<string, string> => ({
    DATA_DIR: join(dataDir, `instance-${node + 1}`),
    CLICKHOUSE_URL: cluster.nodes[node]?.url ?? '',
    CLICKHOUSE_DATABASE: 'tally',
    CLICKHOUSE_CLUSTER: CLUSTER_NAME,
    FLUSH_INTERVAL_MS: '200',
    TRUST_PROXY: '1',
  })

  it('counts every event sent to either instance exactly once, over both shards', async () => {
    const [first, second] = cluster.nodes
    if (!first || !second) throw new Error('two nodes expected')
    // Both instances start at once: both run the migrations against the cluster.
    services.push(...(await Promise.all([spawnService(env(0)), spawnService(env(1))])))
    const [a, b] = services
    if (!a || !b) throw new Error('two services expected')

    // Every visitor sends half of its events to each instance, in turn.
    const sent: Sent = { accepted: 0, statuses: new Map(), paths: [] }
    await Promise.all(
      Array.from({ length: VISITORS }, async (_, visitor) => {
        await send(a.url, visitor, PER_VISITOR / 2, 'a', sent)
        await send(b.url, visitor, PER_VISITOR / 2, 'b', sent)
      }),
    )
    expect(Object.fromEntries(sent.statuses)).toEqual({ 202: VISITORS * PER_VISITOR })
    await Promise.all([drained(a), drained(b)])

    // Through the Distributed rollups, from either node: each acknowledged event once.
    const counts = (url: string) =>
      query<{ path: string; n: number }>(
        url,
        "SELECT path, toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/_/v%' GROUP BY path",
      )
    for (const node of [first, second]) {
      const rows = await counts(node.url)
      expect(rows.length).toBe(sent.paths.length)
      expect(new Set(rows.map((row) => row.path))).toEqual(new Set(sent.paths))
      expect(rows.every((row) => Number(row.n) === 1)).toBe(true)
    }
    const [total] = await query<{ events: number; visitors: number }>(
      first.url,
      "SELECT toUInt64(sumMerge(events)) AS events, toUInt64(uniqCombinedMerge(visitors)) AS visitors FROM traffic_daily WHERE type = 'pageview'",
    )
    expect(Number(total?.events)).toBe(sent.accepted)
    // One salt for both instances: a visitor seen by both counts once, not twice.
    expect(Number(total?.visitors)).toBe(VISITORS)

    // Each shard holds a part of the events, and together they hold them all, each once; and a
    // visitor's day is on one shard only, so no visitor is counted by both.
    const perShard: number[] = []
    const shardVisitors: number[] = []
    for (const node of [first, second]) {
      const [local] = await query<{ events: number; visitors: number }>(
        node.url,
        "SELECT toUInt64(sumMerge(events)) AS events, toUInt64(uniqCombinedMerge(visitors)) AS visitors FROM traffic_daily_local WHERE type = 'pageview'",
      )
      perShard.push(Number(local?.events))
      shardVisitors.push(Number(local?.visitors))
    }
    console.info(
      `[cluster] sent ${VISITORS * PER_VISITOR}, accepted ${sent.accepted}, shard 1 ${perShard[0]}, shard 2 ${perShard[1]}, total ${total?.events}, visitors ${total?.visitors}`,
    )
    expect(perShard.every((events) => events > 0)).toBe(true)
    expect(perShard.reduce((sum, events) => sum + events, 0)).toBe(sent.accepted)
    expect(shardVisitors.reduce((sum, visitors) => sum + visitors, 0)).toBe(VISITORS)

    // The salts table is one truth for both: today's salt and tomorrow's (created a day ahead, so
    // a collector can hash through an outage at midnight), read the same from either node.
    const now = Date.now()
    const days = [now, now + 86_400_000].map((at) => new Date(at).toISOString().slice(0, 10))
    const read = []
    for (const node of [first, second]) {
      read.push(
        await query<{ day: string; first: string }>(
          node.url,
          'SELECT toString(day) AS day, argMin(salt, (created_at, salt)) AS first FROM salts GROUP BY day ORDER BY day',
        ),
      )
    }
    expect(read[0]?.map((row) => row.day)).toEqual(days)
    expect(read[1]).toEqual(read[0])
  })

  it('keeps no per-event row on any node: no spool of the Distributed events table', async () => {
    // An event full of personal data goes through the cluster too; none of it may be stored.
    const [first] = services
    if (!first) throw new Error('a service expected')
    const planted = await fetch(`${first.url}/api/event`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': CHROME_UA,
        'x-forwarded-for': '198.51.100.77',
      },
      body: JSON.stringify({
        type: 'pageview',
        site: 'demo',
        url: 'http://localhost:8787/account/jane.doe@example.com?email=jane.doe@example.com&card=4111111111111111',
        referrer: 'https://mail.example/inbox?token=abcdef0123456789abcdef',
      }),
    })
    expect(planted.status).toBe(202)
    await drained(first)
    for (const node of cluster.nodes) {
      const engines = await query<{ name: string; engine: string }>(
        node.url,
        "SELECT name, engine FROM system.tables WHERE database = 'tally' AND name IN ('events_in', 'events_in_local')",
      )
      expect(Object.fromEntries(engines.map((row) => [row.name, row.engine]))).toEqual({
        events_in: 'Distributed',
        events_in_local: 'Null',
      })
      // A Distributed table that sends later keeps each insert as a file under its own folder.
      const spool = join(node.dir, 'data', 'data', 'tally', 'events_in')
      const files = filesUnder(spool)
      expect(files, `spooled rows under ${spool}`).toEqual([])
      // And no stored table holds the visitors' addresses or user agents (browser families only).
      const stored = await query<{ name: string }>(
        node.url,
        "SELECT name FROM system.tables WHERE database = 'tally' AND engine LIKE '%MergeTree'",
      )
      expect(stored.length).toBeGreaterThan(10)
      for (const { name } of stored) {
        const response = await fetch(
          `${node.url}/?database=tally&query=${encodeURIComponent(`SELECT * FROM ${name} FORMAT TSV`)}`,
        )
        const dump = await response.text()
        expect(response.ok).toBe(true)
        expect(dump).not.toContain('198.51.100.')
        expect(dump).not.toContain(CHROME_UA.slice(0, 40))
        for (const secret of [
          'jane.doe',
          '4111111111111111',
          'email=',
          'card=',
          'token=',
          'abcdef0123456789',
        ])
          expect(dump, `${secret} in ${name}`).not.toContain(secret)
      }
    }
  })

  it('records each migration once for the whole cluster; a restart applies nothing', async () => {
    const [first, second] = cluster.nodes
    if (!first || !second) throw new Error('two nodes expected')
    const files = readMigrations()
    for (const node of [first, second]) {
      const recorded = await query<{ version: number; checksums: string[] }>(
        node.url,
        'SELECT version, groupUniqArray(checksum) AS checksums FROM schema_migrations GROUP BY version ORDER BY version',
      )
      expect(recorded).toEqual(files.map((file) => ({ version: file.version, checksums: [file.checksum] })))
    }
    // A third instance, started after the others, finds everything applied.
    const warehouse: Warehouse = await openClusterWarehouse(second.url, 'tally', false)
    try {
      expect((await migrate(warehouse)).applied).toEqual([])
      // A node that lacks tables (as a shard added later does) gets them at the next start.
      for (const table of ['search_daily_mv', 'search_daily_local']) {
        const dropped = await fetch(
          `${second.url}/?query=${encodeURIComponent(`DROP TABLE tally.${table}`)}`,
          {
            method: 'POST',
          },
        )
        expect(dropped.status, await dropped.text()).toBe(200)
      }
      const missing =
        "SELECT name FROM system.tables WHERE database = 'tally' AND name LIKE 'search_daily%' ORDER BY name"
      expect(await query(second.url, missing)).toEqual([{ name: 'search_daily' }])
      expect((await migrate(warehouse)).applied).toEqual([])
      expect(await query(second.url, missing)).toEqual([
        { name: 'search_daily' },
        { name: 'search_daily_local' },
        { name: 'search_daily_mv' },
      ])
    } finally {
      await warehouse.close()
    }
    const restarted = services.shift()
    if (restarted) await stopService(restarted)
    const again = await spawnService(env(0))
    services.push(again)
    const response = await fetch(`${again.url}/healthz`)
    const health = (await response.json()) as { migrations: { appliedAtStart: string[]; current: number } }
    expect(health.migrations).toEqual({ appliedAtStart: [], current: files.at(-1)?.version })
  })

  it('creates replicated local tables under keeper paths of their own, per shard', async () => {
    const [first] = cluster.nodes
    if (!first) throw new Error('a node expected')
    const warehouse = await openClusterWarehouse(first.url, 'tally_replicated', true)
    try {
      await migrate(warehouse)
    } finally {
      await warehouse.close()
    }
    for (const [index, node] of cluster.nodes.entries()) {
      const tables = await query<{ name: string; engine: string; zookeeper_path: string }>(
        node.url,
        "SELECT t.name AS name, t.engine AS engine, r.zookeeper_path AS zookeeper_path FROM system.tables AS t LEFT JOIN system.replicas AS r ON r.database = t.database AND r.table = t.name WHERE t.database = 'tally_replicated' AND t.name LIKE '%_local' AND t.engine != 'Null'",
      )
      expect(tables.length).toBeGreaterThan(10)
      for (const table of tables) {
        expect(table.engine).toMatch(/^Replicated\w*MergeTree$/)
        expect(table.zookeeper_path).toBe(`/clickhouse/tables/${index + 1}/tally_replicated/${table.name}`)
      }
      expect(new Set(tables.map((table) => table.zookeeper_path)).size).toBe(tables.length)
    }
  })

  it('loses no acknowledged event while a shard is down: a batch is retried until every shard has it', async () => {
    const [first, second] = cluster.nodes
    if (!first || !second) throw new Error('two nodes expected')
    const service = await spawnService({ ...env(0), DATA_DIR: join(dataDir, 'instance-shard-down') })
    services.push(service)
    // The day's salt is read (and cached) while both shards are up: it lives on one of them.
    const warm: Sent = { accepted: 0, statuses: new Map(), paths: [] }
    await send(service.url, 0, 1, 'warm', warm)
    expect(warm.accepted).toBe(1)
    await drained(service)

    await second.stop()
    const sent: Sent = { accepted: 0, statuses: new Map(), paths: [] }
    let failedWhileDown = false
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, visitor) => send(service.url, visitor, PER_VISITOR, 'down', sent)),
      )
      // Accepted into the write-ahead log; the inserts fail while a shard is missing.
      const deadline = Date.now() + 60_000
      while (!failedWhileDown && Date.now() < deadline) {
        const { body } = await service.health()
        failedWhileDown = body.checks.some(
          (check) => check.name === 'write_buffer' && check.status === 'degraded',
        )
        if (!failedWhileDown) await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      await second.start()
    }
    expect(failedWhileDown).toBe(true)
    expect(Object.fromEntries(sent.statuses)).toEqual({ 202: 8 * PER_VISITOR })
    await drained(service, 120_000)

    // Every acknowledged event is there; one that a shard took before the other refused its batch
    // may be there twice (the retry writes the whole batch again).
    const rows = await query<{ path: string; n: number }>(
      first.url,
      "SELECT path, toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/down/%' GROUP BY path",
    )
    expect(new Set(rows.map((row) => row.path))).toEqual(new Set(sent.paths))
    expect(rows.every((row) => Number(row.n) >= 1)).toBe(true)
    const counted = rows.reduce((sum, row) => sum + Number(row.n), 0)
    console.info(
      `[cluster] a shard down: accepted ${sent.accepted}, counted ${counted} once the shard was back`,
    )
  })

  it('retries a batch one shard took and the other refused, until both have it', async () => {
    const [first, second] = cluster.nodes
    if (!first || !second) throw new Error('two nodes expected')
    const service = services.at(-1)
    if (!service) throw new Error('a service expected')
    // The second shard loses a rollup its views write: its part of every insert fails there, while
    // the first shard takes its own part.
    const drop = await fetch(
      `${second.url}/?query=${encodeURIComponent('DROP TABLE tally.pages_daily_local')}`,
      {
        method: 'POST',
      },
    )
    expect(drop.status, await drop.text()).toBe(200)
    const sent: Sent = { accepted: 0, statuses: new Map(), paths: [] }
    await Promise.all(
      Array.from({ length: 8 }, (_, visitor) => send(service.url, visitor, PER_VISITOR, 'part', sent)),
    )
    expect(sent.accepted).toBe(8 * PER_VISITOR)
    const deadline = Date.now() + 60_000
    let failed = false
    while (!failed && Date.now() < deadline) {
      failed = ((await service.metrics()).tally_flush_errors_total ?? 0) > 0
      if (!failed) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(failed).toBe(true)
    // The table comes back (a migration run finds the nodes differ and makes what is missing).
    const warehouse = await openClusterWarehouse(first.url, 'tally', false)
    try {
      await migrate(warehouse)
    } finally {
      await warehouse.close()
    }
    await drained(service, 120_000)
    const rows = await query<{ path: string; n: number }>(
      first.url,
      "SELECT path, toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/part/%' GROUP BY path",
    )
    // Nothing lost: the ledger records a batch only once every shard has it.
    expect(new Set(rows.map((row) => row.path))).toEqual(new Set(sent.paths))
    const counted = rows.reduce((sum, row) => sum + Number(row.n), 0)
    console.info(
      `[cluster] one shard refusing: accepted ${sent.accepted}, counted ${counted} after the retry`,
    )
  })
})
