import { cryptoRandom, type RandomSource } from '../../core/dp/index.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { type GroupingPlan, grainRho, type ReleasePlan } from '../release/budget.ts'
import { type ExactCell, noiseCells, type ReleasedValue } from '../release/cells.ts'
import { type ExactRow, exactRows, storeExactRows } from '../release/exact-cells.ts'
import { exactSql } from '../release/exact-sql.ts'
import { type Claim, claimedPeriods, claimPeriod, type Period, periodKey } from '../release/ledger.ts'
import { COARSE_GRAINS, type Grain } from '../release/measure.ts'
import { dayOffset, requireQueryParameters, select } from '../sql.ts'
import { publishCoarsePeriods } from './publish-coarse.ts'

/**
 * publish, hourly and before finalize-sketches: the release step (docs/privacy.md). For every
 * closed period not yet published — each closed UTC day whose visitor sketches still exist, and
 * each closed hour since yesterday — it reads the exact cells of every measurement of that grain
 * from the rollups, adds noise once per cell and measure, keeps the cells whose noisy visitors
 * pass the threshold, and inserts them into `released` with the noise's standard deviation. The
 * ledger (../release/ledger.ts) makes it idempotent and safe on several instances: a period
 * already claimed is never noised again, so late events for a published day change nothing
 * that can be seen.
 *
 * A day is published only while its sketches exist: finalize-sketches calls this first and
 * destroys them after. Days finalized before releases existed have no sketches, so no true
 * distinct counts: they are not published at all (fail closed).
 *
 * Lists are also published per closed ISO week and month (./publish-coarse.ts), from the exact
 * cells each day's publication stores in `exact_cells` before it claims the day, so that a day
 * claimed by any publisher already has them.
 *
 * Needs query parameters (ClickHouse 19+), as finalize-sketches does.
 */

export type PublishOptions = {
  plan: ReleasePlan
  /** Noise randomness; `cryptoRandom()` unless a test injects `seededRandom`. */
  random?: RandomSource
  /** Which periods: all grains by default; finalize-sketches asks for days only. */
  grains?: readonly Grain[]
  /**
   * Claims no new period after this long, so that a run ends soon after a shutdown asks (the
   * service waits for running jobs); the next run goes on where this one stopped.
   */
  budgetMs?: number
}

export type PublishedPeriod = Period & { cells: number; heldBack: number }

export type PublishReport = {
  published: PublishedPeriod[]
  skipped: number
  /** True when the time budget ended the run with periods left to publish. */
  stopped?: boolean
}

// Days (before today) whose sketches still hold visitors: what can be published with true counts.
const DAYS_WITH_SKETCHES = `SELECT site, toString(day) AS period_day FROM traffic_totals_daily
  WHERE day < {today:Date}
  GROUP BY site, day
  HAVING uniqCombinedMerge(visitors) > 0
  ORDER BY site, day`

// Sites seen since yesterday: every closed hour of theirs is published, events or not, so that
// which hours exist tells nothing.
const RECENT_SITES = `SELECT DISTINCT site FROM traffic_totals_daily WHERE day >= {from:Date} ORDER BY site`

export async function publishReleases(
  warehouse: Warehouse,
  now: Date,
  options: PublishOptions,
): Promise<PublishReport> {
  await requireQueryParameters(warehouse)
  const { plan } = options
  const random = options.random ?? cryptoRandom()
  const yesterday = dayOffset(now, -1)
  const today = dayOffset(now, 0)
  const claimed = await claimedPeriods(warehouse, '1970-01-01')
  const days = await select<{ site: string; period_day: string }>(warehouse, DAYS_WITH_SKETCHES, { today })
  const sites = await select<{ site: string }>(warehouse, RECENT_SITES, { from: yesterday })
  const periods: Period[] = [
    ...days.map(({ site, period_day: day }): Period => ({ site, grain: 'day', day, slot: 0 })),
    ...sites.flatMap(({ site }) =>
      closedHours(now).map((hour): Period => ({ site, grain: 'hour', ...hour })),
    ),
  ]
  const grains = options.grains ?? ['day', 'hour', ...COARSE_GRAINS]
  const started = Date.now()
  const overBudget = () => options.budgetMs !== undefined && Date.now() - started > options.budgetMs
  const report: PublishReport = { published: [], skipped: 0 }
  // Days that could be published and were not claimed by this run or another: a week or month
  // holding one waits for the next run.
  const pending = new Set(
    periods.filter((period) => period.grain === 'day' && !claimed.has(periodKey(period))).map(periodKey),
  )
  for (const period of periods) {
    if (!grains.includes(period.grain) || claimed.has(periodKey(period))) continue
    if (overBudget()) break
    const exact = await readExact(warehouse, period, plan)
    // Before the claim: whoever claims a day has stored its exact cells, so a week or month
    // published by any instance after that claim finds them.
    await storeExactRows(warehouse, exact.kept)
    const claim = await claimPeriod(warehouse, period, plan, grainRho(plan, period.grain))
    // Claimed here or by another publisher, which stored the exact cells before its claim too.
    pending.delete(periodKey(period))
    if (!claim) {
      report.skipped++
      continue
    }
    report.published.push(await publishPeriod(warehouse, period, claim, exact.cells, random))
  }
  const coarse = COARSE_GRAINS.filter(
    (grain) => grains.includes(grain) && plan.groupings.some((item) => item.grain === grain),
  )
  if (coarse.length > 0 && !overBudget()) {
    const more = await publishCoarsePeriods(warehouse, now, {
      plan,
      grains: coarse,
      pending,
      overBudget,
      publish: (period, claim, exact, extra) => publishPeriod(warehouse, period, claim, exact, random, extra),
    })
    report.published.push(...more.published)
    report.skipped += more.skipped
  }
  if (overBudget()) report.stopped = true
  return report
}

type PeriodExact = {
  /** The exact cells of each grouping set published at the period's own grain. */
  cells: Array<{ grouping: GroupingPlan; exact: ExactCell[] }>
  /** For a day: the exact cells of the lists published at coarser grains, to store. */
  kept: ExactRow[]
}

/** Reads, once per grouping set, the exact cells a period's publication needs. */
async function readExact(warehouse: Warehouse, period: Period, plan: ReleasePlan): Promise<PeriodExact> {
  const own = plan.groupings.filter((item) => item.grain === period.grain)
  const coarse =
    period.grain === 'day' ? plan.groupings.filter((item) => COARSE_GRAINS.some((g) => g === item.grain)) : []
  const keyOf = (item: GroupingPlan) => `${item.measurement.id}|${item.grouping}`
  const wanted = new Map<string, GroupingPlan>()
  for (const item of [...own, ...coarse]) if (!wanted.has(keyOf(item))) wanted.set(keyOf(item), item)
  const keep = new Set(coarse.map(keyOf))
  const result: PeriodExact = { cells: [], kept: [] }
  for (const [key, item] of wanted) {
    const exact = await exactCells(warehouse, item, period)
    for (const grouping of own.filter((other) => keyOf(other) === key)) result.cells.push({ grouping, exact })
    if (keep.has(key)) {
      const measures = item.measurement.measures.map((measure) => measure.name)
      result.kept.push(
        ...exactRows(period.site, period.day, item.measurement.id, item.grouping, measures, exact),
      )
    }
  }
  return result
}

/** Noises and thresholds a period's exact cells and inserts what is released, once. */
async function publishPeriod(
  warehouse: Warehouse,
  period: Period,
  claim: Claim,
  exact: ReadonlyArray<{ grouping: GroupingPlan; exact: readonly ExactCell[] }>,
  random: RandomSource,
  extra: readonly ReleasedValue[] = [],
): Promise<PublishedPeriod> {
  const values: ReleasedValue[] = [...extra]
  let cells = 0
  let heldBack = 0
  for (const { grouping, exact: cellsOfGrouping } of exact) {
    const noised = noiseCells(grouping, cellsOfGrouping, random)
    values.push(...noised.rows)
    cells += noised.released
    heldBack += noised.heldBack
  }
  const rows = values.map((value) => ({
    site: period.site,
    grain: period.grain,
    day: period.day,
    slot: period.slot,
    ...value,
    version: claim.version,
  }))
  if (rows.length > 0)
    await warehouse.client.insert({ table: 'released', values: rows, format: 'JSONEachRow' })
  return { ...period, cells, heldBack }
}

function exactCells(warehouse: Warehouse, grouping: GroupingPlan, period: Period): Promise<ExactCell[]> {
  const hour = `${period.day} ${String(period.slot).padStart(2, '0')}:00:00`
  return select<ExactCell>(warehouse, exactSql(grouping.measurement, grouping.grouping), {
    site: period.site,
    day: period.day,
    hour,
  })
}

/** Every closed hour of yesterday and today, as (day, slot). */
export function closedHours(now: Date): Array<{ day: string; slot: number }> {
  const current = Math.floor(now.getTime() / 3_600_000)
  const start = Math.floor(Date.parse(`${dayOffset(now, -1)}T00:00:00Z`) / 3_600_000)
  const hours: Array<{ day: string; slot: number }> = []
  for (let hour = start; hour < current; hour++) {
    const at = new Date(hour * 3_600_000)
    hours.push({ day: at.toISOString().slice(0, 10), slot: at.getUTCHours() })
  }
  return hours
}
