/**
 * Constants that more than one room needs. They describe the data, not how a room handles it:
 * the traffic source classes the collector assigns and the read API filters on, and the window
 * the insights job computes over and the dashboard states.
 */

/** Device classes, from the user agent (collector/coarsen.ts assigns them). */
export const DEVICES = ['desktop', 'mobile', 'tablet', 'other'] as const
export type Device = (typeof DEVICES)[number]
/** A segment's device: a class, or `*` where the segment pools them. */
export type SegmentDevice = Device | '*'

/** Where a visit came from, as one coarse class (collector/sources.ts assigns it). */
export const SOURCES = ['search', 'social', 'email', 'paid', 'direct', 'other'] as const
export type Source = (typeof SOURCES)[number]
export type SegmentSource = Source | '*'

/** Days of released figures the insights job reads, ending yesterday. */
export const DEFAULT_INSIGHTS_WINDOW_DAYS = 30

/** The window of "visitors now" (collector/visitors-now.ts, GET /api/stats/now), in minutes. */
export const VISITORS_NOW_MINUTES = 5
