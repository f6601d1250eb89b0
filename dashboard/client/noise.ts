/**
 * The "±" beside a differentially private figure (docs/dashboard.md): the half-width of its 95 %
 * interval, 1.96 standard deviations of the noise the API states in the row's `sd`, shown only
 * where it exceeds 1 % of the figure, so exact-looking figures stay uncluttered and noisy ones say
 * how far they may be off.
 */

/** The 95 % half-width of a figure's noise when it exceeds 1 % of the figure, else null. */
export function noiseMargin(value: number | null | undefined, sd: number | undefined): number | null {
  if (value === null || value === undefined || sd === undefined || !(sd > 0)) return null
  const margin = 1.96 * sd
  return margin > 0.01 * Math.abs(value) ? margin : null
}

/** The standard deviation the row states for `key`, if it states one. */
export function sdOf(row: Record<string, unknown>, key: string): number | undefined {
  const sd = row.sd as Record<string, unknown> | undefined
  const value = sd?.[key]
  return typeof value === 'number' ? value : undefined
}
