import { z } from 'zod'
import { DEVICES, SOURCES } from '../schemas/constants.ts'
import { FUNNEL_STEPS } from './queries/getFunnelSteps.ts'
import { DECISIONS } from './recommend/decision.ts'

/**
 * The rows the read API answers with: the contract of the responses and the source of their
 * OpenAPI schemas. Every row carries `visitors`, the group size shown; the k threshold is applied
 * to it and to a lower bound of it (`visitors_floor`), which handlers return alongside and the
 * gate strips, so it appears in no schema here.
 */

const count = z.number().int().min(0)

/**
 * The noise of a differentially private answer: for each figure of the row that carries noise,
 * the standard deviation of that noise (a 95 % interval is the figure ± 1.96 × it). Present only
 * when the answer is `release: "differential-privacy"`.
 */
export const Noise = z
  .record(z.string(), z.number().min(0))
  .describe(
    'Standard deviation of the noise of each noisy figure of this row, by figure name (differentially private answers only).',
  )
const money = z
  .number()
  .describe('Sum of order values, rounded to cents, in the row’s `currency` (never converted).')
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .describe('ISO 4217 code of the site’s order values (CURRENCIES; EUR when not set).')
// Days older than yesterday keep one visitor count per stored row (their sketches are gone).
const FINALIZED =
  ' On a k-threshold answer, for days older than yesterday, whose visitors are kept as one count per stored row, a group that spans several rows (several sources, devices or countries, say) adds their counts: an upper bound. Groups are held back by a lower bound. On a differentially private answer, each day’s released (noisy) distinct count.'
const visitors = count.describe(
  `Distinct visitors: the sum over the days of the range of each day’s unique visitors.${FINALIZED}`,
)

export const PageRow = z.object({ path: z.string(), pageviews: count, visitors, sd: Noise.optional() })

export const SourceRow = z.object({
  value: z.string().describe('The value of the `by` dimension; empty when the pageview had none.'),
  pageviews: count,
  visitors,
  sd: Noise.optional(),
})

const techRow = <Name extends string>(name: Name, description: string) =>
  z.object({ [name]: z.string().describe(description), pageviews: count, visitors, sd: Noise.optional() } as {
    [key in Name]: z.ZodString
  } & { pageviews: typeof count; visitors: typeof visitors; sd: z.ZodOptional<typeof Noise> })

/** Device classes, closed: the collector assigns one of these to every event. */
export const Device = z.enum(DEVICES)
/** A segment's device or source: a class, or `*` where the segment pools them. */
export const SegmentDevice = z.enum([...DEVICES, '*'])
export const SegmentSource = z.enum([...SOURCES, '*'])

export const DeviceRow = z.object({ device: Device, pageviews: count, visitors, sd: Noise.optional() })
export const BrowserRow = techRow('browser', 'Browser family, never a version.')
export const OsRow = techRow('os', 'Operating-system family, never a version.')
export const CountryRow = techRow('country', 'ISO 3166-1 alpha-2; empty when unknown.')

export const ProductRow = z.object({
  product_id: z.string(),
  category: z.string(),
  views: count,
  carts: count,
  removals: count,
  checkouts: count,
  purchases: count,
  quantity: count.describe('Units purchased.'),
  revenue: money,
  currency,
  visitors: visitors.describe(
    `Distinct visitors who viewed, carted, checked out or bought the product.${FINALIZED}`,
  ),
  sd: Noise.optional(),
})

export const FunnelRow = z.object({
  step: z.enum(FUNNEL_STEPS),
  events: count,
  revenue: money,
  currency,
  visitors,
  drop_off: z
    .number()
    .nullable()
    .describe(
      'Share of the previous step’s visitors not seen at this step; null for the first step and when the previous step is held back. On differentially private answers, from the nearest earlier step whose visitors’ 95 % interval excludes zero (every step is listed, a step without events as a noisy zero).',
    ),
  conversion: z
    .number()
    .nullable()
    .describe(
      'Visitors of this step over visitors of the first step; null when the first step is held back (on differentially private answers: when its visitors’ 95 % interval includes zero).',
    ),
  sd: Noise.optional(),
})

export const TransitionRow = z.object({
  from_product: z.string(),
  from_category: z.string(),
  to_product: z.string(),
  to_category: z.string(),
  transitions: count,
  visitors,
  sd: Noise.optional(),
})

export const OfferRow = z.object({
  offer_id: z.string(),
  variant: z.string(),
  impressions: count,
  clicks: count,
  carts: count.describe('Add-to-cart events credited to the offer.'),
  checkouts: count,
  purchases: count,
  revenue: money,
  currency,
  visitors: visitors.describe(
    `Distinct visitors of the variant’s most common event type (normally impressions), per day, summed; on differentially private answers, the distinct visitors of any of its impressions, clicks, carts, checkouts and purchases.${FINALIZED}`,
  ),
  sd: Noise.optional(),
})

export const SearchRow = z.object({
  query: z.string().describe('Scrubbed, lower-cased search term.'),
  searches: count,
  zero_results: count.describe('Searches that found nothing.'),
  visitors,
  sd: Noise.optional(),
})

export const SeriesRow = z.object({
  time: z.string().describe('The UTC day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH:00:00Z).'),
  pageviews: count,
  events: count.describe('Events of every type.'),
  revenue: money
    .nullable()
    .describe(
      'Purchase revenue. Differentially private answers release revenue per day: null for an hour, or a day not yet published.',
    ),
  currency,
  visitors: count
    .nullable()
    .describe(
      `interval=day: visitors who viewed a page that day. interval=hour: an upper bound (the hour’s events, at most the day’s visitors), since visitors are counted per day.${FINALIZED} Differentially private answers: null for an hour or a day not yet published (visitors are released per closed day).`,
    ),
  visits: count.describe('Visits that began in the bucket.'),
  sd: Noise.optional(),
})

export const OverviewRow = z.object({
  from: z.string(),
  to: z.string(),
  pageviews: count,
  visitors: visitors
    .nullable()
    .describe(
      `Visitors who viewed a page: the sum over the days of each day’s unique visitors.${FINALIZED} Differentially private answers count published days only, and are null when none of the range is published yet (today alone): visitors are released per closed day.`,
    ),
  events: z
    .record(z.string(), count)
    .describe('Events per type; a type done by fewer than K_ANON visitors is left out.'),
  revenue: money.nullable().describe('Purchase revenue; null when fewer than K_ANON visitors bought.'),
  currency,
  conversion_rate: z
    .number()
    .nullable()
    .describe('Visitors who bought over visitors; null when fewer than K_ANON visitors bought.'),
  visits: count
    .nullable()
    .describe('Visits begun in the period; null (with the next three) below K_ANON visitors.'),
  views_per_visit: z.number().nullable().describe('Pageviews of the visits over visits.'),
  bounce_rate: z.number().min(0).max(1).nullable().describe('Share of visits that saw one page.'),
  visit_duration: z
    .number()
    .nullable()
    .describe('Mean seconds per visit while its pages were visible and focused.'),
  sd: Noise.optional(),
})

/** `GET /api/stats/now`: the collector's live count (now-route.ts). */
export const NowRow = z.object({
  visitors: z
    .number()
    .int()
    .min(0)
    .describe(
      'Distinct visitors with an accepted event in the last `minutes`, as counted by the process that answers (not summed across processes).',
    ),
  minutes: z.number().int().min(1).describe('The window, ending now.'),
})

const computedAt = z.string().describe('When the insights job computed this snapshot (ISO 8601, UTC).')

// The insights job's counts err low, since they decide what it may release.
const recoVisitors = count.describe(
  'Distinct visitors: a lower bound of the sum over the days of each day’s unique visitors. In a differentially private snapshot, the released (noisy) figure: for offers and segments, the visitor-days exposed to the offer.',
)

export const AffinityRow = z.object({
  next_product_id: z.string(),
  next_category: z.string(),
  rank: count.describe('1 = the strongest affinity.'),
  transitions: count,
  visitors: recoVisitors,
  lift: z.number(),
  sd: Noise.optional(),
  computed_at: computedAt,
})

const segmentFields = {
  segment: z
    .string()
    .describe('Segment id, e.g. device=mobile|country=DE|source=*|category=brakes (* = any).'),
  device: SegmentDevice,
  country: z.string(),
  source: SegmentSource,
  category: z.string(),
}

export const RecoOfferRow = z.object({
  ...segmentFields,
  offer_id: z.string(),
  variant: z.string(),
  is_control: z.boolean(),
  impressions: count.describe(
    'Impressions; in a differentially private snapshot, the visitor-days that saw the variant (noisy).',
  ),
  clicks: count.nullable().describe('Clicks; null in a differentially private snapshot (not released).'),
  conversions: count.describe(
    'Purchases credited to the variant; in a differentially private snapshot, the visitor-days of `impressions` with one (noisy).',
  ),
  revenue: z
    .number()
    .nullable()
    .describe('Revenue; null in a differentially private snapshot (not released).'),
  visitors: recoVisitors,
  conversion_rate: z.number(),
  ci_low: z.number().describe('Wilson interval, lower bound.'),
  ci_high: z.number().describe('Wilson interval, upper bound.'),
  uplift: z
    .number()
    .nullable()
    .describe(
      'Relative to the offer’s control variant in the segment (0.25: converts 25% better); 0 for the control itself; null when the control is not released or never converted.',
    ),
  prob_best: z.number().describe('Posterior probability of being the best variant.'),
  is_best: z.boolean(),
  decision: z
    .enum(DECISIONS)
    .exclude(['explore'])
    .describe(
      'The decision on this row’s offer in the segment, as /api/v1/recommend answers it there: `recommended` when its most probable best variant reached RECOMMEND_PROB_BEST with at least two of the offer’s variants released, `leading` short of that, `alone` with one variant released. The same on every row of an offer.',
    ),
  sd: Noise.optional(),
  computed_at: computedAt,
})

export const SegmentRow = z.object({
  ...segmentFields,
  visitors: recoVisitors,
  sd: Noise.optional(),
  computed_at: computedAt,
})
