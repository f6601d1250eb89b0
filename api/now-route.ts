import { z } from 'zod'
import { Site } from './params.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'
import { NowRow } from './rows.ts'

/**
 * `GET /api/stats/now`: distinct visitors over the last minutes, from the collector's memory
 * (collector/visitors-now.ts), never from the warehouse, where nothing of it is stored. It goes
 * through the k gate like every figure: below K_ANON the answer is `now: null` and the dashboard
 * says "fewer than K". It is not part of the differentially private release: it is a live count,
 * held back when small, and read by each process from its own memory (docs/engagement.md).
 */

/** The route over `count`, the collector's count per site; none (another process) counts nobody. */
export function nowRoute(options: { count?: (site: string) => number; minutes: number }): ReleasedRoute {
  return releasedRoute({
    path: '/now',
    summary: 'Visitors now: distinct visitors over the last minutes',
    description:
      'A live count kept only in the collector’s memory and thresholded at K_ANON (below it, `now` is null). Not a released figure of the differentially private release; with several processes, the count of the one that answers.',
    shape: 'object',
    names: ['now'],
    query: z.strictObject({ site: Site }),
    row: NowRow,
    handler: async (query) => {
      const visitors = options.count?.(query.site) ?? 0
      // The count is exact: its lower bound is itself.
      return { now: { visitors, minutes: options.minutes, visitors_floor: visitors } }
    },
  })
}
