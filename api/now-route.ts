import { z } from 'zod'
import { Site } from './params.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'
import { NowRow } from './rows.ts'

/**
 * `GET /api/stats/now`: distinct visitors over the last minutes, from the collector's memory
 * (collector/visitors-now.ts), never from the warehouse, where nothing of it is stored. It goes
 * through the k gate with DP_EPSILON=off: below K_ANON the answer is `now: null` and the dashboard
 * says "fewer than K". With differential privacy on it is never given (`now: null`): a count of the
 * last minutes is taken every few minutes and a visitor-day sits in many of them, so noise that
 * covers it at the configured ε would be hundreds of visitors wide (docs/privacy.md, "Today's live
 * figures"); the overview's closed hours are today's released live figures instead.
 */

/** The route over `count`, the collector's count per site; none (another process) counts nobody. */
export function nowRoute(options: { count?: (site: string) => number; minutes: number }): ReleasedRoute {
  return releasedRoute({
    path: '/now',
    summary: 'Visitors now: distinct visitors over the last minutes',
    description:
      'A live count kept only in the collector’s memory and thresholded at K_ANON (below it, `now` is null); with several processes, the count of the one that answers. With differential privacy on, `now` is always null: no released figure covers the last minutes.',
    shape: 'object',
    names: ['now'],
    query: z.strictObject({ site: Site }),
    row: NowRow,
    handler: async (query) => {
      const visitors = options.count?.(query.site) ?? 0
      // The count is exact: its lower bound is itself.
      return { now: { visitors, minutes: options.minutes, visitors_floor: visitors } }
    },
    released: { filters: [], handler: async () => ({ now: null }) },
  })
}
