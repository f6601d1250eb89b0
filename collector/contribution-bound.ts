import {
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  ITEMS_PER_ORDER,
  ORDER_TYPES,
  REVENUE_PER_VISITOR_DAY,
  UNITS_PER_VISITOR_DAY,
  VISITS_PER_VISITOR_DAY,
} from '../schemas/contribution.ts'
import { EVENT_TYPES, type EventType } from '../schemas/events.ts'
import type { EventRow } from '../schemas/row.ts'

/**
 * The contribution bound of a visitor-day (docs/privacy.md, "Bounded contribution"): the released
 * figures' noise is calibrated to schemas/contribution.ts, and this is where those bounds hold.
 *
 * In memory only, keyed by the row's own daily visitor hash (site and visitor), so no new
 * identifier exists anywhere; the whole map is dropped when the UTC day of the rows changes, the
 * day the salt behind those hashes stops being used, so nothing here outlives the salt. Events
 * past a bound are dropped and counted as `contribution_bound`; orders keep at most
 * ITEMS_PER_ORDER items, and each order type its bounded value (revenue or items, the larger) and
 * purchases their bounded units. Engagement reports share ENGAGED_SECONDS_PER_VISITOR_DAY: the
 * report that crosses it is clipped to what is left (counted as `clipped`), and later ones with
 * engaged time are dropped, their time being past the bound. The map holds at most `maxVisitors` visitor-days: past that, events of
 * visitors it does not know are dropped too (fail closed), so a flood of fake visitors costs
 * bounded memory and no bound is lifted.
 *
 * Per process: with several collectors or WORKERS > 1, a visitor's events may reach several
 * processes, and the bound per visitor-day is then that many times the table (docs/privacy.md).
 */

export type ContributionBound = {
  /**
   * The rows within the bounds (orders cut to their first items, engagement reports to the day's
   * engaged time left), how many were dropped, how many engagement reports were clipped and how
   * many pageviews were kept without their visit fields (past VISITS_PER_VISITOR_DAY).
   */
  admit(rows: readonly EventRow[]): { kept: EventRow[]; dropped: number; clipped: number; visitsCut: number }
  /** Visitor-days currently remembered. */
  readonly size: number
}

export const DEFAULT_MAX_VISITORS = 200_000

const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((type, index) => [type, index]))

const ORDER_INDEX = new Map<string, number>(ORDER_TYPES.map((type, index) => [type, index]))

// Per order type its value so far, then the units purchased, the engaged milliseconds, the visits
// begun and the bounces taken back: one small array per visitor-day.
const UNITS = ORDER_TYPES.length
const ENGAGED = UNITS + 1
const VISITS = ENGAGED + 1
const TAKEN_BACK = VISITS + 1
const ENGAGED_MS_PER_DAY = ENGAGED_SECONDS_PER_VISITOR_DAY * 1000

const TYPES = EVENT_TYPES.length
const VALUES = TAKEN_BACK + 1
const FIRST_SLOTS = 1024

/** A bound over a day's visitor hashes, for one collector process. */
export function createContributionBound(maxVisitors = DEFAULT_MAX_VISITORS): ContributionBound {
  let day = ''
  // Each visitor-day is a slot: its counts per event type at slot × TYPES in `events`, its order
  // values, units and engaged time at slot × VALUES in `values`. An object with two typed arrays of
  // its own per visitor-day cost about 670 bytes, 134 MB at the default bound, and was most of a
  // busy collector's heap; a slot and its map entry cost under 250
  // (test/collector/contribution-bound.test.ts › "holds a visitor-day in under 250 bytes…").
  // Site, then the row's own visitor hash string: no key is built per event.
  let slots = new Map<string, Map<string, number>>()
  let count = 0
  let events = new Uint16Array(FIRST_SLOTS * TYPES)
  let values = new Float64Array(FIRST_SLOTS * VALUES)
  let clipped = 0
  let visitsCut = 0

  function slotOf(site: string, visitor: string): number | undefined {
    let visitors = slots.get(site)
    if (!visitors) {
      visitors = new Map()
      slots.set(site, visitors)
    }
    let slot = visitors.get(visitor)
    if (slot !== undefined) return slot
    if (count >= maxVisitors) return undefined
    slot = count++
    if ((slot + 1) * TYPES > events.length) {
      // Doubled as the day's visitors arrive; a new slot's counts are zero.
      const moreEvents = new Uint16Array(events.length * 2)
      moreEvents.set(events)
      events = moreEvents
      const moreValues = new Float64Array(values.length * 2)
      moreValues.set(values)
      values = moreValues
    }
    visitors.set(visitor, slot)
    return slot
  }

  function admitOne(row: EventRow): EventRow | null {
    const rowDay = row.hour.slice(0, 10)
    if (rowDay !== day) {
      day = rowDay
      slots = new Map()
      count = 0
      events = new Uint16Array(FIRST_SLOTS * TYPES)
      values = new Float64Array(FIRST_SLOTS * VALUES)
    }
    const slot = slotOf(row.site, row.visitor)
    if (slot === undefined) return null
    const index = TYPE_INDEX.get(row.type)
    if (index === undefined) return null
    const at = slot * TYPES + index
    const base = slot * VALUES
    const bound = EVENTS_PER_VISITOR_DAY[row.type as EventType]
    if ((events[at] ?? 0) >= bound) return null
    const kept = row.item_ids.length > ITEMS_PER_ORDER ? cutItems(row) : row
    const order = ORDER_INDEX.get(row.type)
    const value = order === undefined ? 0 : orderValue(kept)
    const units = row.type === 'purchase' ? kept.item_quantities.reduce((sum, units) => sum + units, 0) : 0
    if (order !== undefined && (values[base + order] ?? 0) + value > REVENUE_PER_VISITOR_DAY) return null
    if ((values[base + UNITS] ?? 0) + units > UNITS_PER_VISITOR_DAY) return null
    const left = ENGAGED_MS_PER_DAY - (values[base + ENGAGED] ?? 0)
    if (row.type === 'engagement' && row.engaged_ms > 0 && left <= 0) return null
    events[at] = (events[at] ?? 0) + 1
    if (order !== undefined) values[base + order] = (values[base + order] ?? 0) + value
    values[base + UNITS] = (values[base + UNITS] ?? 0) + units
    if (row.type === 'pageview') return visitBound(kept, base)
    if (row.type === 'engagement') {
      const engaged = Math.min(row.engaged_ms, left)
      values[base + ENGAGED] = (values[base + ENGAGED] ?? 0) + engaged
      if (engaged < row.engaged_ms) {
        clipped++
        return { ...kept, engaged_ms: engaged }
      }
    }
    return kept
  }

  // A visit past VISITS_PER_VISITOR_DAY stays a pageview of its page but begins nothing: no entry,
  // no bounce, no new-or-returning, and no previous page whose exit it would take back. A second
  // page past the bound takes no bounce back, so a visitor-day's bounces sum to within ±bound.
  function visitBound(row: EventRow, base: number): EventRow {
    if (row.entry === 1) {
      const begun = values[base + VISITS] ?? 0
      if (begun < VISITS_PER_VISITOR_DAY) {
        values[base + VISITS] = begun + 1
        return row
      }
      visitsCut++
      return { ...row, entry: 0, bounce: 0, visitor_kind: '', prev_path: '' }
    }
    if (row.bounce !== -1) return row
    const takenBack = values[base + TAKEN_BACK] ?? 0
    if (takenBack < VISITS_PER_VISITOR_DAY) {
      values[base + TAKEN_BACK] = takenBack + 1
      return row
    }
    visitsCut++
    return { ...row, bounce: 0 }
  }

  return {
    admit(rows) {
      clipped = 0
      visitsCut = 0
      const kept: EventRow[] = []
      for (const row of rows) {
        const admitted = admitOne(row)
        if (admitted) kept.push(admitted)
      }
      return { kept, dropped: rows.length - kept.length, clipped, visitsCut }
    },
    get size() {
      return count
    },
  }
}

/**
 * What an order weighs on the revenue figures: its revenue (negated for a refund) in the funnel
 * and the totals, its items' prices times quantities in the products.
 */
function orderValue(row: EventRow): number {
  const items = row.item_prices.reduce((sum, price, at) => sum + price * (row.item_quantities[at] ?? 0), 0)
  return Math.max(Math.abs(row.revenue), items)
}

function cutItems(row: EventRow): EventRow {
  return {
    ...row,
    item_ids: row.item_ids.slice(0, ITEMS_PER_ORDER),
    item_categories: row.item_categories.slice(0, ITEMS_PER_ORDER),
    item_prices: row.item_prices.slice(0, ITEMS_PER_ORDER),
    item_quantities: row.item_quantities.slice(0, ITEMS_PER_ORDER),
  }
}
