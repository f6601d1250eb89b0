import { join } from 'node:path'
import { ConfigError, loadConfig } from '../schemas/config.ts'
import { describeWarehouse, NoWarehouseError, openWarehouse } from '../warehouse/client.ts'
import { auditWarehouse, hasTallyTables } from './audit/audit.ts'
import { formatAuditReport } from './audit/report.ts'

/**
 * `npm run audit [-- --json]`: the privacy audit against the warehouse the service is configured
 * with (the same environment `npm start` reads). Exit status 0 when nothing was found, 1 on a
 * violation, 2 when the audit could not run: no warehouse where the configuration points, or one
 * without Tally's tables (an audit of nothing passes nothing). It only reads, and never creates a
 * directory or a database. With the embedded warehouse, run it while the service is stopped: chDB
 * lets one process at a time use a data directory.
 */
async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`tally audit: ${error.message}`)
      return 2
    }
    throw error
  }
  const target = describeWarehouse(config.warehouse)
  let warehouse: Awaited<ReturnType<typeof openWarehouse>>
  try {
    warehouse = await openWarehouse(config.warehouse, { create: false })
  } catch (error) {
    if (!(error instanceof NoWarehouseError)) throw error
    console.error(`tally audit: could not run: ${error.message}`)
    return 2
  }
  try {
    const report = await auditWarehouse(warehouse, new Date(), {
      kAnon: config.kAnon,
      target,
      saltCacheDir: join(config.dataDir, 'salts'),
    })
    if (!hasTallyTables(report)) {
      console.error(`tally audit: could not run: no Tally tables in the ${target}`)
      return 2
    }
    process.stdout.write(
      process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatAuditReport(report),
    )
    return report.violations.length > 0 ? 1 : 0
  } finally {
    await warehouse.close()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(`tally audit: could not run: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 2
  },
)
