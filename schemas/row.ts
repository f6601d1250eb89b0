import { z } from 'zod'
import { EVENT_TYPES } from './events.ts'

/**
 * One row as the collector inserts it into `events_in`, after the privacy pipeline.
 *
 * This is the only shape that crosses into the warehouse. It has no field that can hold an
 * IP address, a user-agent string, a query string or a client timestamp: the time is the
 * server's, truncated to the hour; the visitor is a 64-bit keyed hash under a salt that is
 * destroyed after its day; everything else is a coarse class or an already scrubbed string.
 * `events_in` is a `Null` table, so even this row is never stored: materialized views fold it
 * into the rollups.
 */
export const EventRow = z.object({
  /** UTC, truncated to the hour: `YYYY-MM-DD HH:00:00`. */
  hour: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:00:00$/),
  site: z.string(),
  type: z.enum(EVENT_TYPES as [string, ...string[]]),
  /** Unsigned 64-bit keyed hash as a decimal string (JSON numbers cannot hold 64 bits). */
  visitor: z.string().regex(/^\d{1,20}$/),
  path: z.string(),
  source: z.string(),
  referrer_host: z.string(),
  utm_source: z.string(),
  utm_medium: z.string(),
  utm_campaign: z.string(),
  device: z.string(),
  browser: z.string(),
  os: z.string(),
  country: z.string(),
  product_id: z.string(),
  category: z.string(),
  price: z.number(),
  quantity: z.number().int(),
  revenue: z.number(),
  currency: z.string(),
  item_ids: z.array(z.string()),
  item_categories: z.array(z.string()),
  item_prices: z.array(z.number()),
  item_quantities: z.array(z.number().int()),
  prev_path: z.string(),
  prev_product_id: z.string(),
  prev_category: z.string(),
  search_query: z.string(),
  search_results: z.number().int(),
  offer_id: z.string(),
  offer_variant: z.string(),
  name: z.string(),
  prop_keys: z.array(z.string()),
  prop_values: z.array(z.string()),
  // Visits and engagement (docs/engagement.md): per event, never an id of the visit.
  /** 1 on a visit's first pageview: visits are the sum. */
  entry: z.number().int().min(0).max(1),
  /** +1 on a visit's first pageview, -1 on its second: bounces are the sum. */
  bounce: z.number().int().min(-1).max(1),
  /** Engaged time of an `engagement` event, at most 30 minutes. */
  engaged_ms: z.number().int().min(0),
  /** An `engagement` event's deepest scroll (percent) and the deepest its page reported before. */
  scroll: z.number().int().min(0).max(100),
  scroll_from: z.number().int().min(0).max(100),
  /** On a visit's first pageview: 'new' or 'returning'; '' when the beacon did not say. */
  visitor_kind: z.enum(['', 'new', 'returning']),
  /** An outbound click's destination host, a download's scrubbed path. */
  link_target: z.string(),
  /** An `engagement` event's visit's entry page, scrubbed as `path` is; '' when not sent. */
  entry_path: z.string(),
})

export type EventRow = z.infer<typeof EventRow>

/** A row with every field empty, for steps that fill only what their event type carries. */
export const emptyRow = (): EventRow => ({
  hour: '1970-01-01 00:00:00',
  site: '',
  type: 'pageview',
  visitor: '0',
  path: '',
  source: 'direct',
  referrer_host: '',
  utm_source: '',
  utm_medium: '',
  utm_campaign: '',
  device: '',
  browser: '',
  os: '',
  country: '',
  product_id: '',
  category: '',
  price: 0,
  quantity: 0,
  revenue: 0,
  currency: '',
  item_ids: [],
  item_categories: [],
  item_prices: [],
  item_quantities: [],
  prev_path: '',
  prev_product_id: '',
  prev_category: '',
  search_query: '',
  search_results: 0,
  offer_id: '',
  offer_variant: '',
  name: '',
  prop_keys: [],
  prop_values: [],
  entry: 0,
  bounce: 0,
  engaged_ms: 0,
  scroll: 0,
  scroll_from: 0,
  visitor_kind: '',
  link_target: '',
  entry_path: '',
})
