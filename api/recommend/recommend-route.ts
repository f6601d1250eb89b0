import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { FILTERS, recoQuery } from '../params.ts'
import { getOfferSnapshot } from '../queries/getOfferSnapshot.ts'
import { getSnapshotVersion } from '../queries/getSnapshotVersion.ts'
import { type ReleasedRoute, releasedRoute } from '../released-route.ts'
import type { ReadContext } from '../route-spec.ts'
import { Recommendation } from './answer-schema.ts'
import { pathAnswer } from './path-answers.ts'
import { resolutionPath } from './resolve.ts'
import { type SnapshotCache, snapshotCache } from './snapshot-cache.ts'
import { type Candidate, indexSnapshot, type SnapshotIndex } from './snapshot-index.ts'
import { cryptoRandom } from './thompson.ts'

/**
 * `GET /api/v1/recommend`: the offer variant to show one visitor, from the insights job's latest
 * snapshot, held in memory (snapshot-cache.ts) so that a call costs no warehouse read, with its
 * answers built once per path of segments (path-answers.ts) so that a call costs no recomputation.
 */

/** How often a process asks the warehouse whether the insights job wrote a newer snapshot. */
export const SNAPSHOT_CHECK_MS = 1000

const caches = new WeakMap<Warehouse, Map<Release, SnapshotCache<SnapshotIndex>>>()

function cacheFor(ctx: ReadContext): SnapshotCache<SnapshotIndex> {
  const { warehouse, release } = ctx
  const byRelease = caches.get(warehouse) ?? new Map<Release, SnapshotCache<SnapshotIndex>>()
  caches.set(warehouse, byRelease)
  let cache = byRelease.get(release)
  if (!cache) {
    cache = snapshotCache(
      {
        version: (site) => getSnapshotVersion(warehouse, { site, release }),
        load: async (site) =>
          indexSnapshot(await getOfferSnapshot(warehouse, { site, release }), ctx.meetsK, {
            // A differentially private snapshot has its own released site-wide segment.
            siteTotals: release === 'k-threshold',
          }),
      },
      { checkEveryMs: SNAPSHOT_CHECK_MS },
    )
    byRelease.set(release, cache)
  }
  return cache
}

// Thompson shares and choose=sample draws: traffic allocation, from node:crypto as every draw is.
const random = cryptoRandom()

const query = recoQuery({
  offer: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Offer id; may be left out when the site runs one offer.'),
  device: FILTERS.device.optional().describe('The visitor’s device class.'),
  country: FILTERS.country.optional().describe('The visitor’s country, ISO 3166-1 alpha-2.'),
  source: FILTERS.source.optional().describe('The visitor’s traffic source class.'),
  category: FILTERS.category.optional().describe('The product category the visitor is looking at.'),
  choose: z
    .enum(['best', 'sample'])
    .default('best')
    .describe('`best`: the most probable best variant; `sample`: one variant drawn by Thompson sampling.'),
})

type RecommendQuery = z.infer<typeof query>

export const recommendRoute: ReleasedRoute = releasedRoute<RecommendQuery, Candidate, Recommendation>({
  path: '/recommend',
  summary: 'The offer variant to show one visitor',
  description:
    'Resolves the visitor’s segment on the server (the cell itself, then category, source, country and device replaced by * in that order, then the site-wide total over every segment) and answers the variant to show, the decision a client acts on, P(best), and the Thompson-sampling allocation over the released variants. Answered from the latest insights snapshot held in memory.',
  shape: 'one',
  snapshot: true,
  query,
  row: Recommendation,
  handler: async (params, ctx) => {
    const index = await cacheFor(ctx).get(params.site)
    // An offer the snapshot does not name is answered as unknown (explore), never echoed back.
    const offer = params.offer
      ? index.offers.includes(params.offer)
        ? params.offer
        : null
      : index.offers.length <= 1
        ? (index.offers[0] ?? null)
        : undefined
    if (offer === undefined) {
      throw new AppError(400, 'invalid', 'offer: required when the site runs more than one offer', 'offer')
    }
    const visitor = {
      device: params.device,
      country: params.country,
      source: params.source,
      category: params.category,
    }
    const cached = pathAnswer(index, offer, visitor, {
      site: params.site,
      level: ctx.recommendProbBest,
      random,
      path: resolutionPath,
    })
    return { groups: cached.groups, answer: (released) => cached.answer(released, params.choose) }
  },
})
