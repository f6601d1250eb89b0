import { PUBLISHED_PERIOD } from '../../schemas/constants.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { isPublicDomain } from '../release/budget.ts'
import { MEASUREMENTS } from '../release/measurements.ts'
import { select } from '../sql.ts'
import type { Violation } from './checks.ts'

/**
 * The released tables are what leaves the service (docs/privacy.md): the audit checks that what
 * they hold was released as the release step promises. A publication without noise (DP_EPSILON=off)
 * is a violation wherever it is found, and so is a released cell of a thresholded grouping set
 * whose noisy visitors lie below K_ANON (a publisher that skipped its threshold). Cells of a
 * public domain (event types of the whole site, hours) are released whatever their count.
 * Exact per-day cells (`exact_cells`) kept for the coarser grains must be gone once the week and
 * the month of their day have closed and the publish job (hourly) has had two days to publish
 * them and drop their month.
 *
 * Nothing unreleased may be reachable through the released table either: every cell must belong
 * to a measurement of the list and to a period the release step claimed in the ledger. A cell
 * without either was written around the release step (by hand, a migration gone wrong, another
 * program) and is read by the API as if it had been noised.
 */

const UNNOISED = `SELECT toString(min(day)) AS first, toString(max(day)) AS last, count() AS n
  FROM release_ledger WHERE mechanism = 'off' HAVING n > 0`

// Grouping sets that threshold, as `measurement|grouping`: constants of the measurement list.
const THRESHOLDED = MEASUREMENTS.flatMap((entry) =>
  Object.keys(entry.groupings)
    .filter((grouping) => !isPublicDomain(entry, grouping as keyof typeof entry.groupings))
    .map((grouping) => `${entry.id}|${grouping}`),
)

const UNDER_K = `SELECT count() AS n FROM released FINAL
  WHERE measure = 'visitors' AND value < {k:Float64}
    AND has({pairs:Array(String)}, concat(measurement, '|', grouping))`

// The week of a day ends 6 days after its Monday; its month at the next month's 1st.
const OLD_EXACT = `SELECT toString(min(day)) AS first, toString(max(day)) AS last, count() AS n FROM exact_cells
  WHERE toMonday(day) + 7 <= {cutoff:Date} AND addMonths(toStartOfMonth(day), 1) <= {cutoff:Date}
  HAVING n > 0`

/** Exact cells of days whose week and month both closed before `cutoff` (two days ago). */
export async function checkExactCells(warehouse: Warehouse, cutoff: string): Promise<Violation[]> {
  const [old] = await select<{ first: string; last: string; n: number }>(warehouse, OLD_EXACT, { cutoff })
  if (!old || Number(old.n) === 0) return []
  return [
    {
      rule: 'old-exact-cells',
      table: 'exact_cells',
      detail: `${old.n} exact cells of days ${old.first} to ${old.last}, whose weeks and months have closed`,
    },
  ]
}

// The measurements of the list, and the row saying a week or month is published (publish-coarse.ts).
const KNOWN = [...MEASUREMENTS.map((entry) => entry.id), PUBLISHED_PERIOD.measurement]

const UNCLAIMED = `SELECT count() AS n, toString(min(day)) AS first, toString(max(day)) AS last
  FROM released
  WHERE NOT has({known:Array(String)}, measurement)
     OR (site, grain, day, slot) NOT IN (SELECT site, grain, day, slot FROM release_ledger)
  HAVING n > 0`

export async function checkReleases(warehouse: Warehouse, kAnon: number): Promise<Violation[]> {
  const violations: Violation[] = []
  const [unnoised] = await select<{ first: string; last: string; n: number }>(warehouse, UNNOISED)
  if (unnoised && Number(unnoised.n) > 0) {
    violations.push({
      rule: 'unnoised-release',
      table: 'release_ledger',
      detail: `${unnoised.n} publications without noise (DP_EPSILON=off), days ${unnoised.first} to ${unnoised.last}`,
    })
  }
  const [under] = await select<{ n: number }>(warehouse, UNDER_K, { k: kAnon, pairs: THRESHOLDED })
  if (under && Number(under.n) > 0) {
    violations.push({
      rule: 'under-k',
      table: 'released',
      detail: `${under.n} released cells with fewer than ${kAnon} (noisy) visitors`,
    })
  }
  const [unclaimed] = await select<{ n: number; first: string; last: string }>(warehouse, UNCLAIMED, {
    known: KNOWN,
  })
  if (unclaimed && Number(unclaimed.n) > 0) {
    violations.push({
      rule: 'unclaimed-release',
      table: 'released',
      detail: `${unclaimed.n} released cells of no known measurement or of a period the release step never claimed, days ${unclaimed.first} to ${unclaimed.last}`,
    })
  }
  return violations
}
