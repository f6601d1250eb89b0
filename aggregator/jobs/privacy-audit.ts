import type { Warehouse } from '../../warehouse/client.ts'
import { type AuditOptions, type AuditReport, auditWarehouse } from '../audit/audit.ts'

/**
 * privacy-audit, daily and at start: the same audit as `npm run audit`, run by the service so
 * its last result is on `/metrics` (`tally_audit_violations`) for alerting. The scheduler logs
 * the summary; the report never repeats a value it found, only its shape.
 */

export type AuditSummary = {
  violations: number
  byRule: Record<string, number>
  tables: string[]
  report: AuditReport
}

export async function runPrivacyAudit(
  warehouse: Warehouse,
  now: Date,
  options: AuditOptions,
): Promise<AuditSummary> {
  const report = await auditWarehouse(warehouse, now, options)
  const byRule: Record<string, number> = {}
  for (const violation of report.violations) byRule[violation.rule] = (byRule[violation.rule] ?? 0) + 1
  return {
    violations: report.violations.length,
    byRule,
    tables: [...new Set(report.violations.map((violation) => violation.table))].sort(),
    report,
  }
}
