import { z } from 'zod'
import { DIMENSIONS } from '../../schemas/segments.ts'
import { SegmentDevice, SegmentSource } from '../rows.ts'
import { DECISIONS } from './decision.ts'

/** The answer of GET /api/v1/recommend: its contract, and its OpenAPI schemas by these names. */

export const Decision = z
  .enum(DECISIONS)
  .describe(
    '`recommended`: P(best) reached RECOMMEND_PROB_BEST with at least two variants released; `leading`: the most probable best of two or more, short of that level; `alone`: one variant released, nothing to compare; `explore`: nothing released yet for this offer.',
  )

export const ResolvedSegment = z
  .object({
    id: z
      .string()
      .nullable()
      .describe(
        'The segment whose figures answered, as /api/v1/segments lists it; null for the site-wide total.',
      ),
    device: SegmentDevice,
    country: z.string().describe('ISO 3166-1 alpha-2, or * when coarsened away.'),
    source: SegmentSource,
    category: z.string(),
    coarsened: z.array(z.enum(DIMENSIONS)).describe('The dimensions replaced by *, in coarsening order.'),
    site_wide: z.boolean().describe('True when no segment on the visitor’s path had released figures.'),
  })
  .describe('Where the visitor’s figures came from.')

export const AllocationShare = z.object({
  variant: z.string(),
  share: z
    .number()
    .min(0)
    .max(1)
    .describe('Share of this segment’s traffic to serve the variant: its Thompson-sampling share (P(best)).'),
  impressions: z.number().int().min(0),
  conversions: z.number().int().min(0),
})

export const Recommendation = z.object({
  site: z.string(),
  offer: z
    .string()
    .nullable()
    .describe(
      'The offer decided on; null when the latest snapshot has no released figures for the offer asked (or, when none was asked, for any offer).',
    ),
  segment: ResolvedSegment,
  variant: z
    .string()
    .nullable()
    .describe(
      'The variant to show: the most probable best (choose=best), or one drawn by Thompson sampling (choose=sample); null for explore.',
    ),
  decision: Decision,
  prob_best: z
    .number()
    .nullable()
    .describe(
      'P(best) of the most probable best variant; null for explore. In a segment, the insights job’s figure over every arm of the segment (a lower bound for one offer’s variants when the segment runs several offers); site-wide, the Thompson share.',
    ),
  prob_best_level: z.number().describe('RECOMMEND_PROB_BEST: the P(best) a recommendation needs.'),
  allocation: z
    .array(AllocationShare)
    .describe('Every released variant with its share of traffic; sums to 1.'),
  choose: z.enum(['best', 'sample']),
  visitors: z
    .number()
    .int()
    .min(0)
    .describe(
      'Distinct visitors behind the answer’s variants (a lower bound for a segment, an upper bound site-wide).',
    ),
  computed_at: z
    .string()
    .nullable()
    .describe('When the insights job computed the snapshot (ISO 8601, UTC); null before the first run.'),
})

export type Recommendation = z.infer<typeof Recommendation>
