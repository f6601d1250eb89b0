import {
  gaussianSigma,
  type NoiseSpec,
  releaseThreshold,
  rhoFor,
  splitBudget,
  standardDeviation,
} from '../../core/dp/index.ts'
import type { Privacy } from '../../schemas/privacy.ts'
import { type Grain, type GroupingName, l2In, type Measure, type Measurement } from './measure.ts'
import { publishedGrains } from './measurements.ts'

/**
 * The day's budget, split over every released measurement (docs/privacy.md, "The budget").
 *
 * Each (measurement, grouping set, measure) is one Gaussian mechanism over the vector of its
 * cells for the whole day (all hours of it, for hourly cells), with L2 sensitivity `l2In(measure, grouping)`
 * for one visitor-day, so it is ρ_i-zCDP with ρ_i = l2²/(2σ_i²), and the day's publication is
 * Σρ_i-zCDP (zCDP composes by addition). The total is ρ = rhoFor(ε, δ/2): the zCDP-to-(ε, δ)
 * conversion takes half of δ, and the partition selection (the noisy thresholds on visitor
 * counts, which release a cell or not) the other half, split evenly over the grouping sets that
 * threshold. σ_i follows from ρ_i = ρ·w_i/Σw.
 *
 * A list published at several grains (day, ISO week, month) is one mechanism per grain: a
 * visitor-day is in one day, one week and one month, and moves each grain's vector of cells by
 * the same L2 sensitivity, so each grain costs its own ρ_i out of the same total.
 */

export type MeasurePlan = {
  readonly measure: Measure
  /** The noise drawn for this measure's cells; null when DP is off. */
  readonly noise: NoiseSpec | null
  readonly rho: number
  /** Published beside each figure: the noise's standard deviation (0 with DP off). */
  readonly stddev: number
}

export type GroupingPlan = {
  readonly measurement: Measurement
  readonly grouping: GroupingName
  /** The period this plan's cells are published for. */
  readonly grain: Grain
  readonly measures: readonly MeasurePlan[]
  /** A cell is released when its noisy visitors reach this; null: a public domain, all released. */
  readonly threshold: number | null
}

export type ReleasePlan = {
  readonly privacy: Privacy
  /** The zCDP budget one visitor-day's publication spends (0 with DP off). */
  readonly rho: number
  readonly groupings: readonly GroupingPlan[]
}

const itemKey = (id: string, grouping: string, measure: string, grain: Grain) =>
  `${id}|${grouping}|${measure}|${grain}`

const groupingsOf = (entry: Measurement): GroupingName[] => Object.keys(entry.groupings) as GroupingName[]

/** Whether a grouping set releases every cell of a public domain (no threshold, no δ). */
export const isPublicDomain = (entry: Measurement, grouping: GroupingName): boolean =>
  grouping === '' && entry.domain !== undefined

/**
 * The noise and thresholds for `measurements` under `privacy`. Pure: the same inputs give the
 * same plan, so every instance of the aggregator noises with the same parameters.
 */
export function releasePlan(
  measurements: readonly Measurement[],
  privacy: Privacy,
  kAnon: number,
): ReleasePlan {
  const weights: Record<string, number> = {}
  for (const entry of measurements) {
    for (const [grain, share] of publishedGrains(entry)) {
      for (const grouping of groupingsOf(entry)) {
        for (const measure of entry.measures) {
          weights[itemKey(entry.id, grouping, measure.name, grain)] =
            (entry.groupings[grouping] ?? 0) *
            (grouping === '' ? measure.weight : (measure.filteredWeight ?? measure.weight)) *
            share
        }
      }
    }
  }
  const on = privacy.mechanism !== 'off'
  const total = on ? rhoFor(privacy.epsilon, privacy.delta / 2) : 0
  const shares = on ? splitBudget(total, weights) : {}
  // Each grain's grouping sets select partitions of their own, so each takes a share of δ.
  const thresholded = measurements.flatMap((entry) =>
    publishedGrains(entry).flatMap(() =>
      groupingsOf(entry).filter((grouping) => !isPublicDomain(entry, grouping)),
    ),
  ).length
  const selectionDelta = on ? privacy.delta / 2 / Math.max(1, thresholded) : 0

  const groupings = measurements.flatMap((entry) =>
    publishedGrains(entry).flatMap(([grain]) =>
      groupingsOf(entry).map((grouping): GroupingPlan => {
        const measures = entry.measures.map((measure): MeasurePlan => {
          if (!on) return { measure, noise: null, rho: 0, stddev: 0 }
          const rho = shares[itemKey(entry.id, grouping, measure.name, grain)] as number
          // Sums (revenue) are rounded to whole units and noised as integers like the counts.
          const noise: NoiseSpec = {
            mechanism: 'discrete-gaussian',
            sigma: gaussianSigma(rho, l2In(measure, grouping)),
          }
          return { measure, noise, rho, stddev: standardDeviation(noise) }
        })
        const visitors = measures.find((plan) => plan.measure.kind === 'visitors')
        return {
          measurement: entry,
          grouping,
          grain,
          measures,
          threshold: thresholdFor(entry, grouping, visitors, selectionDelta, kAnon),
        }
      }),
    ),
  )
  return { privacy, rho: total, groupings }
}

/** The ρ that one period of `grain` spends: the sum over the plans published at that grain. */
export const grainRho = (plan: ReleasePlan, grain: Grain): number =>
  plan.groupings
    .filter((item) => item.grain === grain)
    .reduce((sum, item) => sum + item.measures.reduce((total, measure) => total + measure.rho, 0), 0)

function thresholdFor(
  entry: Measurement,
  grouping: GroupingName,
  visitors: MeasurePlan | undefined,
  delta: number,
  kAnon: number,
): number | null {
  if (isPublicDomain(entry, grouping)) return null
  if (!visitors) throw new Error(`${entry.id}: a grouping set that thresholds needs a visitors measure`)
  if (!visitors.noise) return kAnon
  return releaseThreshold({
    noise: visitors.noise,
    // A visitor-day is in at most l2² cells of a visitors measure (l2 = √cells).
    maxPartitions: Math.max(1, Math.round(l2In(visitors.measure, grouping) ** 2)),
    delta,
    kAnon,
  })
}
