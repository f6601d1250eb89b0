import { randomBytes } from 'node:crypto'
import type { Warehouse } from '../../warehouse/client.ts'
import { run, select } from '../sql.ts'
import type { ReleasePlan } from './budget.ts'
import type { Grain } from './measure.ts'

/**
 * The release ledger: which periods have been published, and by which publication. A period is
 * noised once: a publisher claims it (a row with a random token and the warehouse's clock), reads
 * the period's claims back and publishes only when its claim is the earliest (by time, then
 * token). Every later claim sees an earlier one and stands down, on any instance, so repeating
 * the job, a restart half-way, or two aggregators at once never draws a second noisy value of a
 * cell. The rare race that remains (two claims inserted at the same moment, each read back before
 * the other is visible) makes both publish; the `released` table then keeps, per cell, the row of
 * the earliest claim (ReplacingMergeTree on `version`, read with FINAL), so readers settle on one
 * value, but a reader in that instant may have seen the other: docs/privacy.md says so.
 *
 * A publisher that dies after its claim and before its insert leaves the period claimed and
 * unpublished: those figures stay missing (fail closed) rather than being noised twice.
 */

export type Period = { site: string; grain: Grain; day: string; slot: number }

export type Claim = { token: string; version: number }

const CLAIM = `INSERT INTO release_ledger
  (site, grain, day, slot, token, claimed_at, rho, epsilon, delta, mechanism)
  SELECT {site:String}, {grain:String}, {day:Date}, {slot:UInt8}, {token:String}, now(),
    {rho:Float64}, {epsilon:Float64}, {delta:Float64}, {mechanism:String}`

const EARLIEST = `SELECT token, toUInt32(claimed_at) AS at FROM release_ledger
  WHERE site = {site:String} AND grain = {grain:String} AND day = {day:Date} AND slot = {slot:UInt8}
  ORDER BY claimed_at, token
  LIMIT 1`

// `period_day`, not `day`: an alias named like the column would replace it in the WHERE clause.
const CLAIMED = `SELECT DISTINCT site, grain, toString(day) AS period_day, slot FROM release_ledger
  WHERE day >= {from:Date}`

const MAX_UINT32 = 4_294_967_295

/**
 * Claims `period`; returns the claim when this publisher is the one to publish it, else null.
 * `rho` is recorded with the claim: the budget of the grain's mechanism the period belongs to
 * (the day's hours together are one mechanism), the whole day's plan when not given.
 */
export async function claimPeriod(
  warehouse: Warehouse,
  period: Period,
  plan: ReleasePlan,
  rho: number = plan.rho,
): Promise<Claim | null> {
  const token = randomBytes(16).toString('hex')
  const { privacy } = plan
  await run(warehouse, CLAIM, {
    ...period,
    token,
    rho,
    epsilon: privacy.epsilon ?? 0,
    delta: privacy.delta ?? 0,
    mechanism: privacy.mechanism,
  })
  const [first] = await select<{ token: string; at: number }>(warehouse, EARLIEST, period)
  if (!first || first.token !== token) return null
  // The earliest claim has the highest version, so FINAL keeps its rows.
  return { token, version: MAX_UINT32 - Number(first.at) }
}

/** `site|grain|day|slot` of every period claimed since `from`. */
export async function claimedPeriods(warehouse: Warehouse, from: string): Promise<Set<string>> {
  const rows = await select<Omit<Period, 'day'> & { period_day: string }>(warehouse, CLAIMED, { from })
  return new Set(rows.map((row) => periodKey({ ...row, day: row.period_day })))
}

export const periodKey = (period: Period): string =>
  `${period.site}|${period.grain}|${period.day}|${Number(period.slot)}`
