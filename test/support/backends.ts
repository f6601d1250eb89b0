import { clickHouseServerAvailable } from '../../load/lib/clickhouse-server.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { openTempEmbedded, openTempServer } from './warehouse.ts'

export type Backend = {
  name: 'embedded' | 'server'
  available: boolean
  open(): Promise<{ warehouse: Warehouse; dispose(): Promise<void> }>
}

/**
 * The two connections every warehouse contract runs on: chDB in this process, always; and a
 * real clickhouse-server process when the package is installed (`.ci/run` installs it).
 */
export const BACKENDS: Backend[] = [
  { name: 'embedded', available: true, open: openTempEmbedded },
  {
    name: 'server',
    available: clickHouseServerAvailable(),
    open: async () => {
      const opened = await openTempServer()
      if (!opened) throw new Error('clickhouse-server is not installed')
      return opened
    },
  },
]

for (const backend of BACKENDS) {
  if (!backend.available) {
    console.warn(
      `[${backend.name}] skipped: clickhouse-server is not installed (apt-get install clickhouse-server)`,
    )
  }
}
