import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseServer, startClickHouseServer } from '../../load/lib/clickhouse-server.ts'
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts'

/** A fresh embedded warehouse in a temp folder. chDB allows one data directory per process,
 * so a test file opens one and shares it (vitest runs each file in its own fork). */
export async function openTempEmbedded(): Promise<{
  warehouse: Warehouse
  dir: string
  dispose(): Promise<void>
}> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-embedded-'))
  const warehouse = await openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
  return {
    warehouse,
    dir,
    dispose: async () => {
      await warehouse.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A warehouse on a real clickhouse-server started for the test, or null when none is installed. */
export async function openTempServer(
  database = 'tally',
): Promise<{ warehouse: Warehouse; server: ClickHouseServer; dispose(): Promise<void> } | null> {
  const server = await startClickHouseServer()
  if (!server) return null
  const warehouse = await openWarehouse({
    kind: 'server',
    url: server.url,
    username: 'default',
    password: '',
    database,
  })
  return {
    warehouse,
    server,
    dispose: async () => {
      await warehouse.close()
      await server.dispose()
    },
  }
}

/** ClickHouse's major version, e.g. 26 or 18. Query parameters (`{name:Type}`) arrived in 19. */
export async function majorVersion(warehouse: Warehouse): Promise<number> {
  return Number((await warehouse.version()).split('.')[0])
}
