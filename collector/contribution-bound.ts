import {
  ENGAGED_SECONDS_PER_VISITOR_DAY,
  EVENTS_PER_VISITOR_DAY,
  ITEMS_PER_ORDER,
  ORDER_TYPES,
  REVENUE_PER_VISITOR_DAY,
  UNITS_PER_VISITOR_DAY,
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
   * engaged time left), how many were dropped and how many engagement reports were clipped.
   */
  admit(rows: readonly EventRow[]): { kept: EventRow[]; dropped: number; clipped: number }
  /** Visitor-days currently remembered. */
  readonly size: number
}

export const DEFAULT_MAX_VISITORS = 200_000

const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((type, index) => [type, index]))

const ORDER_INDEX = new Map<string, number>(ORDER_TYPES.map((type, index) => [type, index]))

// Per order type its value so far, then the units purchased, then the engaged milliseconds: one
// small array per visitor-day.
const UNITS = ORDER_TYPES.length
const ENGAGED = UNITS + 1
const ENGAGED_MS_PER_DAY = ENGAGED_SECONDS_PER_VISITOR_DAY * 1000

type Tally = { events: Uint16Array; value: Float64Array }

/** A bound over a day's visitor hashes, for one collector process. */
export function createContributionBound(maxVisitors = DEFAULT_MAX_VISITORS): ContributionBound {
  let day = ''
  let tallies = new Map<string, Tally>()
  let clipped = 0

  function admitOne(row: EventRow): EventRow | null {
    const rowDay = row.hour.slice(0, 10)
    if (rowDay !== day) {
      // A new day: yesterday's hashes are of no use and must not be kept.
      day = rowDay
      tallies = new Map()
    }
    const key = `${row.site}|${row.visitor}`
    let tally = tallies.get(key)
    if (!tally) {
      if (tallies.size >= maxVisitors) return null
      tally = { events: new Uint16Array(EVENT_TYPES.length), value: new Float64Array(ENGAGED + 1) }
      tallies.set(key, tally)
    }
    const index = TYPE_INDEX.get(row.type)
    if (index === undefined) return null
    const bound = EVENTS_PER_VISITOR_DAY[row.type as EventType]
    if ((tally.events[index] ?? 0) >= bound) return null
    const kept = row.item_ids.length > ITEMS_PER_ORDER ? cutItems(row) : row
    const order = ORDER_INDEX.get(row.type)
    const value = order === undefined ? 0 : orderValue(kept)
    const units = row.type === 'purchase' ? kept.item_quantities.reduce((sum, units) => sum + units, 0) : 0
    if (order !== undefined && (tally.value[order] ?? 0) + value > REVENUE_PER_VISITOR_DAY) return null
    if ((tally.value[UNITS] ?? 0) + units > UNITS_PER_VISITOR_DAY) return null
    const left = ENGAGED_MS_PER_DAY - (tally.value[ENGAGED] ?? 0)
    if (row.type === 'engagement' && row.engaged_ms > 0 && left <= 0) return null
    tally.events[index] = (tally.events[index] ?? 0) + 1
    if (order !== undefined) tally.value[order] = (tally.value[order] ?? 0) + value
    tally.value[UNITS] = (tally.value[UNITS] ?? 0) + units
    if (row.type === 'engagement') {
      const engaged = Math.min(row.engaged_ms, left)
      tally.value[ENGAGED] = (tally.value[ENGAGED] ?? 0) + engaged
      if (engaged < row.engaged_ms) {
        clipped++
        return { ...kept, engaged_ms: engaged }
      }
    }
    return kept
  }

  return {
    admit(rows) {
      clipped = 0
      const kept: EventRow[] = []
      for (const row of rows) {
        const admitted = admitOne(row)
        if (admitted) kept.push(admitted)
      }
      return { kept, dropped: rows.length - kept.length, clipped }
    },
    get size() {
      return tallies.size
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
