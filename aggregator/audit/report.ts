import type { AuditReport } from './audit.ts'
import type { Rule } from './checks.ts'

/** The audit as a person reads it: what was inspected, what was found, what was checked. */

const CHECKS: Record<Rule, string> = {
  'identifier-value':
    'no e-mail address, card number, phone number, IP address, credential or MAC address in any stored string',
  'identifier-column': 'no column named like a personal identifier',
  'finer-than-hour': 'no stored time finer than the hour',
  'rows-track-events': 'no table with about one row per event',
  'old-sketch': 'no visitor sketch older than 48 hours',
  'old-salt': "no salt of a day before yesterday, in the warehouse or in DATA_DIR's salt cache",
  'under-k': 'no reco_* row and no thresholded released cell with fewer than k visitors',
  'not-inspected': 'every table could be inspected',
  'unnoised-release': 'every released figure was published with noise (never DP_EPSILON=off)',
  'old-exact-cells': 'no exact per-day cell kept after every week and month of its day was published',
  'unclaimed-release':
    'every released cell came from the release step: a measurement it knows, for a period it claimed',
}

export function formatAuditReport(report: AuditReport): string {
  const lines = [
    `Tally privacy audit, ${report.at} UTC: ${report.target} (ClickHouse ${report.version})`,
    `Inspected ${report.tables.length} tables, ${report.columns} columns and ${report.values} distinct string values.`,
    '',
  ]
  if (report.violations.length === 0) {
    lines.push('PASS: no violation found.')
  } else {
    lines.push(`FAIL: ${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}`)
    for (const violation of report.violations) {
      const where = violation.column ? `${violation.table}.${violation.column}` : violation.table
      lines.push(`  ✗ [${violation.rule}] ${where}: ${violation.detail}`)
    }
  }
  lines.push('', 'Checked:')
  const failed = new Set(report.violations.map((violation) => violation.rule))
  for (const [rule, text] of Object.entries(CHECKS) as [Rule, string][]) {
    lines.push(`  ${failed.has(rule) ? '✗' : '✓'} ${text}`)
  }
  return `${lines.join('\n')}\n`
}
