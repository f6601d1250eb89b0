// The offer test and its truth: each variant's true click and conversion rate per segment.

export const OFFER_ID = 'home-hero'
export const VARIANTS = ['control', 'free-shipping', 'ten-off'] as const
export type Variant = (typeof VARIANTS)[number]

/** After clicking the offer, this share buys (with the offer credited). */
export const BUY_AFTER_CLICK = 0.4
const CLICK = { best: 0.26, second: 0.11, control: 0.06 }

/** The variant that truly converts best for a device and source: what the insights should find. */
export function trueBest(device: string, source: string): Variant {
  if (device === 'mobile') return source === 'email' ? 'ten-off' : 'free-shipping'
  if (device === 'desktop' && (source === 'social' || source === 'email')) return 'free-shipping'
  return 'ten-off'
}

const COUNTRY_LIFT: Record<string, number> = { DE: 1, AT: 1.05, CH: 1.15 }

/** P(click) for a variant in a segment. */
export function clickRate(variant: Variant, device: string, source: string, country: string): number {
  const best = trueBest(device, source)
  const base = variant === 'control' ? CLICK.control : variant === best ? CLICK.best : CLICK.second
  return base * (COUNTRY_LIFT[country] ?? 0.85)
}

/** The true conversion rate (purchases credited to the offer per impression). */
export const trueConversion = (variant: Variant, device: string, source: string, country: string) =>
  clickRate(variant, device, source, country) * BUY_AFTER_CLICK
