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
import { createVisitorDaySlots } from './visitor-day-slots.ts'

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
  /** Bytes held by its typed arrays (the order records, one in ten visitor-days or fewer, aside). */
  readonly bytes: number
}

export const DEFAULT_MAX_VISITORS = 200_000

const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((type, index) => [type, index]))

const ORDER_INDEX = new Map<string, number>(ORDER_TYPES.map((type, index) => [type, index]))

const TYPES = EVENT_TYPES.length
// An order record: per order type its value so far, then the units purchased.
const UNITS = ORDER_TYPES.length
const ORDER_FIELDS = UNITS + 1
const ENGAGED_MS_PER_DAY = ENGAGED_SECONDS_PER_VISITOR_DAY * 1000
const FIRST_SLOTS = 1024

// The counts are held in the narrowest arrays their bounds fit.
if (Math.max(...Object.values(EVENTS_PER_VISITOR_DAY), VISITS_PER_VISITOR_DAY) > 0xff)
  throw new RangeError('a count bound past 255 needs wider arrays in contribution-bound.ts')
if (ENGAGED_MS_PER_DAY > 0xffff_ffff) throw new RangeError('the engaged bound needs a wider array')

/** A bound over a day's visitor hashes, for one collector process. */
export function createContributionBound(maxVisitors = DEFAULT_MAX_VISITORS): ContributionBound {
  let day = ''
  // Each visitor-day is a slot (visitor-day-slots.ts, keyed per site by the row's own visitor
  // hash: no key is built per event): its counts per event type at slot × TYPES in `events`, its
  // engaged milliseconds, its visits begun and bounces taken back at slot × 2 in `visits`. Orders
  // are rare (a visitor-day in ten or fewer): their values and units are a record of their own,
  // made at the first. An object with two typed arrays of its own per visitor-day cost about 670
  // bytes, 134 MB at the default bound, and was most of a busy collector's heap; a slot and its
  // arrays cost under 70 (test/collector/contribution-bound.test.ts › "holds a visitor-day in…").
  let slots = createVisitorDaySlots(maxVisitors)
  let events = new Uint8Array(FIRST_SLOTS * TYPES)
  let engagedMs = new Uint32Array(FIRST_SLOTS)
  let visits = new Uint8Array(FIRST_SLOTS * 2)
  let orders = new Map<number, Float64Array>()
  let clipped = 0
  let visitsCut = 0

  function slotOf(site: string, visitor: string): number | undefined {
    const slot = slots.slotOf(site, visitor)
    if (slot === undefined || slot < engagedMs.length) return slot
    // Doubled as the day's visitors arrive; a new slot's counts are zero.
    const capacity = engagedMs.length * 2
    const moreEvents = new Uint8Array(capacity * TYPES)
    moreEvents.set(events)
    events = moreEvents
    const moreEngaged = new Uint32Array(capacity)
    moreEngaged.set(engagedMs)
    engagedMs = moreEngaged
    const moreVisits = new Uint8Array(capacity * 2)
    moreVisits.set(visits)
    visits = moreVisits
    return slot
  }

  function admitOne(row: EventRow): EventRow | null {
    const rowDay = row.hour.slice(0, 10)
    if (rowDay !== day) {
      day = rowDay
      slots = createVisitorDaySlots(maxVisitors)
      events = new Uint8Array(FIRST_SLOTS * TYPES)
      engagedMs = new Uint32Array(FIRST_SLOTS)
      visits = new Uint8Array(FIRST_SLOTS * 2)
      orders = new Map()
    }
    const slot = slotOf(row.site, row.visitor)
    if (slot === undefined) return null
    const index = TYPE_INDEX.get(row.type)
    if (index === undefined) return null
    const at = slot * TYPES + index
    const bound = EVENTS_PER_VISITOR_DAY[row.type as EventType]
    if ((events[at] ?? 0) >= bound) return null
    const kept = row.item_ids.length > ITEMS_PER_ORDER ? cutItems(row) : row
    const order = ORDER_INDEX.get(row.type)
    if (order !== undefined) {
      const value = orderValue(kept)
      const units = row.type === 'purchase' ? kept.item_quantities.reduce((sum, units) => sum + units, 0) : 0
      const record = orders.get(slot) ?? new Float64Array(ORDER_FIELDS)
      if ((record[order] ?? 0) + value > REVENUE_PER_VISITOR_DAY) return null
      if ((record[UNITS] ?? 0) + units > UNITS_PER_VISITOR_DAY) return null
      record[order] = (record[order] ?? 0) + value
      record[UNITS] = (record[UNITS] ?? 0) + units
      orders.set(slot, record)
    }
    const left = ENGAGED_MS_PER_DAY - (engagedMs[slot] ?? 0)
    if (row.type === 'engagement' && row.engaged_ms > 0 && left <= 0) return null
    events[at] = (events[at] ?? 0) + 1
    if (row.type === 'pageview') return visitBound(kept, slot * 2)
    if (row.type === 'engagement') {
      const engaged = Math.min(row.engaged_ms, left)
      engagedMs[slot] = (engagedMs[slot] ?? 0) + engaged
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
  function visitBound(row: EventRow, at: number): EventRow {
    if (row.entry === 1) {
      const begun = visits[at] ?? 0
      if (begun < VISITS_PER_VISITOR_DAY) {
        visits[at] = begun + 1
        return row
      }
      visitsCut++
      return { ...row, entry: 0, bounce: 0, visitor_kind: '', prev_path: '' }
    }
    if (row.bounce !== -1) return row
    const takenBack = visits[at + 1] ?? 0
    if (takenBack < VISITS_PER_VISITOR_DAY) {
      visits[at + 1] = takenBack + 1
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
      return slots.size
    },
    get bytes() {
      return slots.bytes + events.byteLength + engagedMs.byteLength + visits.byteLength
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
