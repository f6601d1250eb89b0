import { z } from 'zod'
import { Noise } from './rows.ts'

/**
 * The rows of the visit and engagement views (docs/engagement.md). Like every row of the read API
 * they carry `visitors`, the group the k threshold (and later the release) is applied to.
 */

const count = z.number().int().min(0)
const share = z.number().min(0).max(1)
const visitors = count.describe(
  'Distinct visitors: the sum over the days of the range of each day’s unique visitors (on a k-threshold answer, an upper bound for finalized days that pool several stored rows; on a differentially private one, each day’s released noisy distinct count).',
)

export const EntryPageRow = z.object({
  path: z.string(),
  visits: count.describe('Visits that began on this page.'),
  bounce_rate: share.describe('Share of those visits that saw no other page.'),
  visit_duration: z
    .number()
    .min(0)
    .describe(
      'Mean seconds per visit begun on this page, while any of its pages was visible and focused (engagement reports carry the entry page of their visit). Whole seconds.',
    ),
  visitors,
  sd: Noise.optional(),
})

export const ExitPageRow = z.object({
  path: z.string(),
  exits: count.describe('Visits that ended on this page (no later page of the visit followed).'),
  pageviews: count,
  exit_rate: share.describe('exits / pageviews.'),
  visitors,
  sd: Noise.optional(),
})

export const EngagementRow = z.object({
  path: z.string(),
  pageviews: count,
  time_on_page: z.number().min(0).describe('Mean seconds per view while the page was visible and focused.'),
  scroll_depth: z.number().min(0).max(100).describe('Mean deepest scroll per view, percent of the page.'),
  reached_25: share
    .nullable()
    .describe(
      'Share of views scrolled to at least 25 % of the page; null on a differentially private answer, whose released figures hold only the 50 % and 100 % marks.',
    ),
  reached_50: share,
  reached_75: share.nullable().describe('As reached_25, at 75 %.'),
  reached_100: share,
  visitors,
  sd: Noise.optional(),
})

export const LinkRow = z.object({
  target: z
    .string()
    .describe(
      'outbound-links: the destination host. downloads: the file’s scrubbed path. not-found: the path.',
    ),
  events: count.describe('Clicks (or, for not-found, views of the missing page).'),
  visitors,
  sd: Noise.optional(),
})

export const VisitorKindRow = z.object({
  kind: z.enum(['new', 'returning']).describe('Whether the browser first came on an earlier day.'),
  visits: count,
  visitors,
  sd: Noise.optional(),
})

export const CustomEventRow = z.object({
  name: z.string(),
  events: count,
  visitors,
  sd: Noise.optional(),
})

export const CustomPropRow = z.object({
  name: z.string(),
  prop_key: z.string(),
  prop_value: z.string().describe('Scrubbed of personal data by the collector.'),
  events: count,
  visitors,
  sd: Noise.optional(),
})
