/** How stored values read on screen: country names, empty values, funnel steps. */

let regions: Intl.DisplayNames | undefined
try {
  regions = new Intl.DisplayNames(undefined, { type: 'region' })
} catch {
  regions = undefined
}

export function countryName(code: string): string {
  if (!code) return 'Unknown'
  try {
    const name = regions?.of(code)
    return name && name !== code ? `${name} (${code})` : code
  } catch {
    return code
  }
}

const capital = (value: string) => value.charAt(0).toUpperCase() + value.slice(1)

export const STEP_LABELS: Record<string, string> = {
  product_view: 'Viewed a product',
  add_to_cart: 'Added to cart',
  checkout: 'Started checkout',
  shipping_info: 'Chose shipping',
  payment_info: 'Chose payment',
  purchase: 'Purchased',
  refund: 'Refunded',
}

/** A dimension's value as shown; the stored value stays in the CSV. */
export function dimensionLabel(dimension: string, value: string): string {
  switch (dimension) {
    case 'country':
      return countryName(value)
    case 'device':
    case 'source':
      return value ? capital(value) : 'Unknown'
    case 'referrer_host':
      return value || '(no referrer)'
    case 'utm_source':
    case 'utm_medium':
    case 'utm_campaign':
      return value || '(not tagged)'
    case 'step':
      return STEP_LABELS[value] ?? value
    default:
      return value || '(none)'
  }
}
