import { daysBetween, periodClosed, periodEnd } from '../../core/periods.ts'
import { PUBLISHED_PERIOD } from '../../schemas/constants.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import type { GroupingPlan } from '../release/budget.ts'
import { grainRho, type ReleasePlan } from '../release/budget.ts'
import type { ExactCell, ReleasedValue } from '../release/cells.ts'
import { dropSpentExactCells, periodsHeld, summedCells } from '../release/exact-cells.ts'
import { type Claim, claimedPeriods, claimPeriod, type Period, periodKey } from '../release/ledger.ts'
import type { CoarseGrain } from '../release/measure.ts'
import { dayOffset } from '../sql.ts'

/**
 * The coarser grains of the publish job (docs/privacy.md, "Time grains"): every closed ISO week
 * and calendar month of a site that holds exact per-day cells (`exact_cells`) is published once,
 * through the same ledger as days, from those cells summed over its days: each cell's value is
 * the sum of its true daily distinct visitors, noised once with the grain's own σ and
 * thresholded like a day's. A period waits while one of its days could still be published by
 * this run (a run stopped by its time budget, or asked for other grains), so that no week is
 * published without a day that is about to have its cells. Each period also gets a row
 * PUBLISHED_PERIOD per measurement published at its grain, by which readers know to use it. Then the months of exact cells whose weeks
 * and month are all claimed are dropped.
 */

type Published = Period & { cells: number; heldBack: number }

/** The publish job's one writer of `released` (publish.ts), injected. */
export type PublishPeriod = (
  period: Period,
  claim: Claim,
  exact: ReadonlyArray<{ grouping: GroupingPlan; exact: readonly ExactCell[] }>,
  extra: readonly ReleasedValue[],
) => Promise<Published>

export type CoarseOptions = {
  publish: PublishPeriod
  plan: ReleasePlan
  grains: readonly CoarseGrain[]
  /** `periodKey`s of days not yet published. */
  pending: ReadonlySet<string>
  overBudget: () => boolean
}

/** The row saying that `measurement` is published for the period (with `k1` its id). */
const marker = (measurement: string): ReleasedValue => ({
  measurement: PUBLISHED_PERIOD.measurement,
  grouping: '',
  grouping_value: '',
  k1: measurement,
  k2: '',
  k3: '',
  measure: PUBLISHED_PERIOD.measure,
  value: 1,
  stddev: 0,
})

export async function publishCoarsePeriods(
  warehouse: Warehouse,
  now: Date,
  options: CoarseOptions,
): Promise<{ published: Published[]; skipped: number }> {
  const { plan, grains, pending } = options
  const today = dayOffset(now, 0)
  const claimed = await claimedPeriods(warehouse, '1970-01-01')
  const held = await periodsHeld(warehouse)
  const candidates = new Map<string, Period & { grain: CoarseGrain }>()
  for (const row of held) {
    for (const grain of grains) {
      const period = { site: row.site, grain, day: grain === 'week' ? row.week : row.month, slot: 0 }
      if (periodClosed(grain, period.day, today) && !claimed.has(periodKey(period)))
        candidates.set(periodKey(period), period)
    }
  }
  const report: { published: Published[]; skipped: number } = { published: [], skipped: 0 }
  for (const period of candidates.values()) {
    if (options.overBudget()) return report
    const days = daysBetween(period.day, periodEnd(period.grain, period.day))
    if (days.some((day) => pending.has(periodKey({ site: period.site, grain: 'day', day, slot: 0 }))))
      continue
    const claim = await claimPeriod(warehouse, period, plan, grainRho(plan, period.grain))
    if (!claim) {
      report.skipped++
      continue
    }
    const summed = await summedCells(warehouse, period)
    const exact = plan.groupings
      .filter((item) => item.grain === period.grain)
      .map((grouping) => ({
        grouping,
        exact: summed.get(`${grouping.measurement.id}|${grouping.grouping}`) ?? [],
      }))
    const markers = [...new Set(exact.map((item) => item.grouping.measurement.id))].map(marker)
    report.published.push(await options.publish(period, claim, exact, markers))
  }
  await dropSpentExactCells(warehouse, await claimedPeriods(warehouse, '1970-01-01'), grains)
  return report
}
