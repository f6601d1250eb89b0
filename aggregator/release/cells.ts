import { noiseSampler, type RandomSource } from '../../core/dp/index.ts'
import type { GroupingPlan } from './budget.ts'

/**
 * From exact cells to released rows: the one place where noise meets a figure. Pure apart from
 * the randomness, which is injected (`cryptoRandom()` in the publish job, `seededRandom` in tests).
 *
 * Each cell gets one independent draw per measure. A cell is released when its noisy visitor
 * count reaches the grouping set's threshold (never below K_ANON); a cell of a public domain is
 * released whatever its count, and the domain's missing values are released as noisy zeros, so
 * that which cells exist tells nothing. Nothing of a cell that is held back is kept anywhere.
 */

/** One cell as the exact query returns it: grouping value, key, and `m_<measure>` per measure. */
export type ExactCell = {
  grouping_value: string
  k1: string
  k2: string
  k3: string
  [measure: string]: string | number
}

/** A row of the `released` table, without the period, site and version the job adds. */
export type ReleasedValue = {
  measurement: string
  grouping: string
  grouping_value: string
  k1: string
  k2: string
  k3: string
  measure: string
  value: number
  stddev: number
}

export type NoisedCells = { rows: ReleasedValue[]; released: number; heldBack: number }

/** Noises and thresholds the exact cells of one grouping set for one period. */
export function noiseCells(
  plan: GroupingPlan,
  exact: readonly ExactCell[],
  random: RandomSource,
): NoisedCells {
  const samplers = plan.measures.map((measure) => (measure.noise ? noiseSampler(measure.noise) : null))
  const cells = plan.threshold === null ? withDomain(plan, exact) : exact
  const rows: ReleasedValue[] = []
  let heldBack = 0
  let released = 0
  for (const cell of cells) {
    const noisy = plan.measures.map((measure, index) => {
      const exactValue = Number(cell[`m_${measure.measure.name}`] ?? 0)
      const sampler = samplers[index]
      // Sums (revenue) in whole units: integer noise on an integer figure, like the counts.
      return Math.round(exactValue) + (sampler ? sampler.sample(random) : 0)
    })
    const visitorsAt = plan.measures.findIndex((measure) => measure.measure.kind === 'visitors')
    if (plan.threshold !== null && !((noisy[visitorsAt] ?? Number.NaN) >= plan.threshold)) {
      heldBack++
      continue
    }
    released++
    plan.measures.forEach((measure, index) => {
      rows.push({
        measurement: plan.measurement.id,
        grouping: plan.grouping,
        grouping_value: String(cell.grouping_value),
        k1: String(cell.k1),
        k2: String(cell.k2),
        k3: String(cell.k3),
        measure: measure.measure.name,
        value: noisy[index] as number,
        stddev: measure.stddev,
      })
    })
  }
  return { rows, released, heldBack }
}

/** The exact cells plus a zero cell for every value of the public domain that has none. */
function withDomain(plan: GroupingPlan, exact: readonly ExactCell[]): ExactCell[] {
  const domain = plan.measurement.domain ?? []
  const known = new Set(domain)
  // A value outside the declared domain is not public: it is dropped rather than released.
  const cells = exact.filter((cell) => known.has(String(cell.k1)))
  const present = new Set(cells.map((cell) => String(cell.k1)))
  for (const value of domain) {
    if (!present.has(value)) cells.push({ grouping_value: '', k1: value, k2: '', k3: '' })
  }
  return cells
}
