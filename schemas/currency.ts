import { z } from 'zod'
import { SiteId } from './events.ts'

/** The currency of a site that CURRENCIES does not name. */
export const DEFAULT_CURRENCY = 'EUR'

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'))

/**
 * `siteId=CODE` pairs: the ISO 4217 currency a site's order values are in, for the answers and
 * the dashboard to name (amounts are never converted). A site not named is in DEFAULT_CURRENCY.
 */
export const Currencies = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const currencies = new Map<string, string>()
    for (const pair of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [id = '', code = ''] = pair.split('=', 2).map((part) => part.trim())
      if (!SiteId.safeParse(id).success || !/^[A-Z]{3}$/.test(code) || !ISO_4217.has(code)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${pair}" is not siteId=currency, an ISO 4217 code in capitals (e.g. demo=EUR)`,
        })
        return z.NEVER
      }
      currencies.set(id, code)
    }
    return currencies
  })

/** The currency of `site`'s order values. */
export const currencyOf = (currencies: ReadonlyMap<string, string>, site: string): string =>
  currencies.get(site) ?? DEFAULT_CURRENCY
