import { ConfigError, loadConfig } from '../schemas/config.ts'
import { openWarehouse } from '../warehouse/client.ts'
import { auditWarehouse } from './audit/audit.ts'
import { formatAuditReport } from './audit/report.ts'

/**
 * `npm run audit [-- --json]`: the privacy audit against the warehouse the service is configured
 * with (the same environment `npm start` reads). Exit status 0 when nothing was found, 1 on a
 * violation, 2 when the audit could not run. It only reads. With the embedded warehouse, run it
 * while the service is stopped: chDB lets one process at a time use a data directory.
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
  const warehouse = await openWarehouse(config.warehouse)
  try {
    const report = await auditWarehouse(warehouse, new Date(), { kAnon: config.kAnon })
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
