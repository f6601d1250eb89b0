import type { Page } from 'playwright-core'
import { dataLayerForm, GA4, type Ga4Name, SEARCH_TERM } from './ga4-pushes.ts'

/** The GA4 events of a whole shopping journey, in the order a visitor meets them. */
export const JOURNEY: Ga4Name[] = [
  'view_promotion',
  'select_promotion',
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'begin_checkout',
  'add_shipping_info',
  'add_payment_info',
  'purchase',
  'refund',
]

/** What the journey sends, by docs/ga4.md's table (add_to_cart names two items: two events). */
export const JOURNEY_TYPES = [
  'offer_impression',
  'offer_click',
  'product_view',
  'add_to_cart',
  'add_to_cart',
  'remove_from_cart',
  'checkout',
  'shipping_info',
  'payment_info',
  'purchase',
  'refund',
  'search',
]

/** The journey in the Tag Manager form: each event after its `{ ecommerce: null }` reset. */
export const journeyPushes = (): unknown[] => [
  ...JOURNEY.flatMap(dataLayerForm),
  { event: 'search', search_term: SEARCH_TERM },
]

/** The journey as gtag() calls, as a script. */
export const journeyGtag = (): string =>
  [
    ...JOURNEY.map((name) => `gtag('event', ${JSON.stringify(name)}, ${JSON.stringify(GA4[name])});`),
    `gtag('event', 'search', ${JSON.stringify({ search_term: SEARCH_TERM })});`,
  ].join('\n')

/** Google's snippets as a shop's page has them, with a config call naming a user id. */
export const GTAG_SNIPPET = `
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-XXXXXXXXXX', { user_id: 'U-42', client_id: '123.456' });
`

export const pushScript = (pushes: unknown[], layer = 'dataLayer') =>
  `window.${layer} = window.${layer} || [];\n${pushes.map((push) => `${layer}.push(${JSON.stringify(push)});`).join('\n')}`

/** A storefront page: `head` runs before the beacon's tag, which has `attributes`. */
export const shopPage = (tally: string, head = '', attributes = 'data-ecommerce="ga4"') => `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script>${head}</script>
<script defer src="${tally}/beacon.js" data-site="shop" ${attributes}></script>
</head><body><h1>Shop</h1></body></html>`

/** Waits until the bridge holds the page's `push` (it has loaded and read what was there). */
export const bridgeReady = (page: Page, layer = 'dataLayer') =>
  page.waitForFunction(
    (name) => {
      const value = (window as unknown as Record<string, unknown>)[name]
      return Boolean(value && Object.getOwnPropertyDescriptor(value, 'push')?.get)
    },
    layer,
    { timeout: 5_000 },
  )
