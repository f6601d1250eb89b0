import { logBeta } from './beta.ts'

/**
 * The probability that each arm has the highest conversion rate, given a Beta(1 + conversions,
 * 1 + impressions - conversions) posterior per arm (a uniform prior).
 *
 * P(arm i is best) = ∫ f_i(x) · Π_{j≠i} F_j(x) dx, integrated numerically: deterministic, unlike
 * a Monte Carlo estimate, and accurate to well under 1e-4. The grid is the union of a fine grid
 * around each arm's posterior (± 12 standard deviations), so a posterior from a hundred thousand
 * impressions, narrower than any uniform grid would resolve, is integrated as finely as a wide one.
 * Each F_j is the running trapezoid sum of f_j on that same grid: where f_j has mass the grid is
 * fine, elsewhere f_j is nil, and it costs a fraction of evaluating the incomplete beta function
 * at every point (segments may have dozens of arms, and the job runs every 15 minutes).
 */

export type Arm = { conversions: number; impressions: number }

const POINTS_PER_ARM = 801
const WIDTH_SD = 12

export function posterior({ conversions, impressions }: Arm): { a: number; b: number } {
  const successes = Math.min(Math.max(conversions, 0), Math.max(impressions, 0))
  return { a: 1 + successes, b: 1 + Math.max(impressions, 0) - successes }
}

export function probBest(arms: readonly Arm[]): number[] {
  if (arms.length === 0) return []
  if (arms.length === 1) return [1]
  const posteriors = arms.map(posterior)
  const grid = gridFor(posteriors)
  const pdf = posteriors.map(({ a, b }) => densities(grid, a, b))
  const cdf = pdf.map((column) => runningIntegral(grid, column))
  const integrals = posteriors.map(() => 0)
  let previous: number[] | undefined
  for (let g = 0; g < grid.length; g++) {
    // Products of every other arm's cdf at this point, from prefix and suffix products.
    const others = othersProduct(cdf.map((column) => column[g] as number))
    const values = pdf.map((column, i) => {
      return (column[g] as number) * (others[i] as number)
    })
    if (previous) {
      const width = (grid[g] as number) - (grid[g - 1] as number)
      for (let i = 0; i < values.length; i++) {
        integrals[i] =
          (integrals[i] as number) + ((values[i] as number) + (previous[i] as number)) * width * 0.5
      }
    }
    previous = values
  }
  // The integrals sum to 1 up to the quadrature's error; normalizing removes that drift.
  const total = integrals.reduce((sum, value) => sum + value, 0)
  return integrals.map((value) => (total > 0 ? value / total : 1 / arms.length))
}

function gridFor(posteriors: readonly { a: number; b: number }[]): number[] {
  const points = new Set<number>([0, 1])
  for (const { a, b } of posteriors) {
    const mean = a / (a + b)
    const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)))
    const low = Math.max(0, mean - WIDTH_SD * sd)
    const high = Math.min(1, mean + WIDTH_SD * sd)
    for (let i = 0; i < POINTS_PER_ARM; i++) points.add(low + ((high - low) * i) / (POINTS_PER_ARM - 1))
  }
  return [...points].sort((x, y) => x - y)
}

/** Beta(a, b) densities at every grid point; a, b >= 1 here, so they are finite at 0 and 1. */
function densities(grid: readonly number[], a: number, b: number): number[] {
  const logNorm = logBeta(a, b)
  return grid.map((x) => {
    if (x <= 0) return a === 1 ? Math.exp(-logNorm) : 0
    if (x >= 1) return b === 1 ? Math.exp(-logNorm) : 0
    return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logNorm)
  })
}

/** The cumulative trapezoid integral of `values` over `grid`, scaled to end at exactly 1. */
function runningIntegral(grid: readonly number[], values: readonly number[]): number[] {
  const result = [0]
  for (let g = 1; g < grid.length; g++) {
    const width = (grid[g] as number) - (grid[g - 1] as number)
    result.push((result[g - 1] as number) + ((values[g] as number) + (values[g - 1] as number)) * width * 0.5)
  }
  const total = result[result.length - 1] as number
  return total > 0 ? result.map((value) => value / total) : result
}

function othersProduct(values: readonly number[]): number[] {
  const result = values.map(() => 1)
  let prefix = 1
  for (let i = 0; i < values.length; i++) {
    result[i] = prefix
    prefix *= values[i] as number
  }
  let suffix = 1
  for (let i = values.length - 1; i >= 0; i--) {
    result[i] = (result[i] as number) * suffix
    suffix *= values[i] as number
  }
  return result
}
