import type { Event } from '../schemas/events.ts'
import type { EventRow } from '../schemas/row.ts'
import { referrerHost, scrubUrl } from './scrub.ts'

/**
 * The visit and engagement fields of one event (docs/engagement.md). The beacon sends no visit id:
 * a pageview says where it stands in its visit (`visit_page`), and these columns turn that into
 * figures that add up over any set of rows without one:
 *
 * - `entry` is 1 on a visit's first pageview, so visits are `sum(entry)`.
 * - `bounce` is +1 on a visit's first pageview and -1 on its second (Counterscale's column), so
 *   `sum(bounce)` counts the visits that saw one page; a later pageview adds nothing.
 * - Exits need no column: every pageview is an exit of its own page until the next pageview of the
 *   visit (one whose `prev` names it) takes that back, so the rollup adds +1 to `path` and -1 to
 *   `prev_path` for pageviews past a visit's first.
 * - `engaged_ms`, `scroll` and `scroll_from` carry an engagement report, clamped: at most 30
 *   minutes per report (one visitor's contribution is bounded), scroll at most 100 %.
 * - `link_target` is an outbound click's host (never its path) or a download's scrubbed path.
 *
 * Pure: the caller passes the site's kept query parameters.
 */
export const MAX_ENGAGED_MS = 30 * 60 * 1000

export type VisitFields = Pick<
  EventRow,
  'entry' | 'bounce' | 'engaged_ms' | 'scroll' | 'scroll_from' | 'visitor_kind' | 'link_target'
>

export function describeVisit(event: Event, keepParams: ReadonlySet<string>): Partial<VisitFields> {
  switch (event.type) {
    case 'pageview': {
      const page = event.visit_page
      if (page === undefined) return {}
      const first = page === 1
      return {
        entry: first ? 1 : 0,
        bounce: first ? 1 : page === 2 ? -1 : 0,
        visitor_kind: first && event.returning !== undefined ? (event.returning ? 'returning' : 'new') : '',
      }
    }
    case 'engagement': {
      const scroll = Math.min(100, event.scroll)
      return {
        engaged_ms: Math.min(MAX_ENGAGED_MS, event.ms),
        scroll,
        scroll_from: Math.min(scroll, 100, event.scroll_from),
      }
    }
    case 'outbound':
      return { link_target: referrerHost(event.link) }
    case 'download':
      return { link_target: scrubUrl(event.link, keepParams)?.path.replace(/\?.*$/, '') ?? '' }
    default:
      return {}
  }
}
