/**
 * Constants that more than one room needs. They describe the data, not how a room handles it:
 * the traffic source classes the collector assigns and the read API filters on, and the window
 * the insights job computes over and the dashboard states.
 */

/** Where a visit came from, as one coarse class (collector/sources.ts assigns it). */
export const SOURCES = ['search', 'social', 'email', 'paid', 'direct', 'other'] as const
export type Source = (typeof SOURCES)[number]

/** Days of released figures the insights job reads, ending yesterday. */
export const DEFAULT_INSIGHTS_WINDOW_DAYS = 30
