import type { ReleasedCell } from '../warehouse/released/cells.ts'
import { type Figure, noiseOf, shown } from '../warehouse/released/figures.ts'
import type { ReleasedRange, ReleasedReader } from '../warehouse/released/reader.ts'
import { money } from './queries/common.ts'
import { ratio } from './released-lists.ts'

/**
 * The headline figures (the overview cards and the chart) as post-processing of released cells
 * only, for routes answering with differential privacy (docs/privacy.md):
 * - a **published day** (a closed UTC day, published while its sketches existed) gives everything:
 *   visitors, pageviews, buyers and revenue (`totals`), events per type (`traffic`), visits,
 *   bounces and engaged seconds (`visits`); views per visit are the days' pageviews over their
 *   visits;
 * - a day **not published yet** (today, and yesterday until 00:05) gives, without filters, its
 *   closed hours: events per type (`traffic_hourly`) and visits (`visits_hourly`). Visitors exist per
 *   day, and revenue is released per day, so both join when the day is published.
 * A range's figure is the sum over its days; rates are ratios of those sums. Each figure carries
 * the standard deviation of its noise in `sd` (ratios by the delta method).
 */

export type HeadlineRow = {
  from: string
  to: string
  pageviews: number
  /** null when no day of the range is published yet (today alone). */
  visitors: number | null
  events: Record<string, number>
  revenue: number | null
  conversion_rate: number | null
  visits: number | null
  views_per_visit: number | null
  bounce_rate: number | null
  visit_duration: number | null
  sd: Record<string, number>
}

export type SeriesPoint = {
  time: string
  pageviews: number
  events: number
  revenue: number | null
  visitors: number | null
  visits: number
  sd: Record<string, number>
}

type Sum = { value: number; variance: number }
const ZERO = (): Sum => ({ value: 0, variance: 0 })
const add = (sum: Sum, cell: { value: number; stddev: number }) => {
  sum.value += cell.value
  sum.variance += cell.stddev * cell.stddev
}
const figure = (sum: Sum): Figure => ({ value: sum.value, stddev: Math.sqrt(sum.variance) })

/** Every released cell a range's headline needs, day cells and the hours of unpublished days. */
type HeadlineCells = {
  totals: ReleasedCell[]
  traffic: ReleasedCell[]
  visits: ReleasedCell[]
  hourlyTraffic: ReleasedCell[]
  hourlyVisits: ReleasedCell[]
  /** Days of the range published as days (the public `traffic` domain has a cell for each). */
  published: Set<string>
}

async function headlineCells(reader: ReleasedReader, range: ReleasedRange): Promise<HeadlineCells> {
  const unfiltered = { ...range, filter: null }
  const [totals, traffic, visits, domain] = await Promise.all([
    reader.cells('totals', range, 'day'),
    reader.cells('traffic', range, 'day'),
    reader.cells('visits', range, 'day'),
    range.filter ? reader.cells('traffic', unfiltered, 'day') : null,
  ])
  const published = new Set((domain ?? traffic).map((cell) => cell.day))
  // Hours are published without filters: a filtered view shows published days only.
  const [hourlyTraffic, hourlyVisits] = range.filter
    ? [[], []]
    : await Promise.all([
        reader.cells('traffic_hourly', range, 'hour'),
        reader.cells('visits_hourly', range, 'hour'),
      ])
  const open = (cell: ReleasedCell) => !published.has(cell.day)
  return {
    totals,
    traffic,
    visits,
    hourlyTraffic: hourlyTraffic.filter(open),
    hourlyVisits: hourlyVisits.filter(open),
    published,
  }
}

/** Sums of every headline figure over a set of cells (one day, one hour, or a whole range). */
type Sums = Record<
  | 'visitors'
  | 'pageviews'
  | 'revenue'
  | 'buyers'
  | 'dayPageviews'
  | 'visits'
  | 'dayVisits'
  | 'bounces'
  | 'engaged',
  Sum
> & { events: Map<string, Sum> }

function sums(cells: Omit<HeadlineCells, 'published'>): Sums {
  const result: Sums = {
    visitors: ZERO(),
    pageviews: ZERO(),
    revenue: ZERO(),
    buyers: ZERO(),
    dayPageviews: ZERO(),
    visits: ZERO(),
    dayVisits: ZERO(),
    bounces: ZERO(),
    engaged: ZERO(),
    events: new Map(),
  }
  const event = (type: string) => result.events.get(type) ?? result.events.set(type, ZERO()).get(type)
  for (const cell of cells.totals) {
    if (cell.measure === 'visitors') add(result.visitors, cell)
    else if (cell.measure === 'pageviews') {
      add(result.pageviews, cell)
      add(result.dayPageviews, cell)
    } else if (cell.measure === 'buyers') add(result.buyers, cell)
    else if (cell.measure === 'revenue') add(result.revenue, cell)
  }
  for (const cell of cells.traffic) if (cell.measure === 'events') add(event(cell.k1) as Sum, cell)
  for (const cell of cells.hourlyTraffic) {
    if (cell.measure !== 'events') continue
    add(event(cell.k1) as Sum, cell)
    // Pageviews of unpublished days come from their hours' events.
    if (cell.k1 === 'pageview') add(result.pageviews, cell)
  }
  for (const cell of cells.visits) {
    if (cell.measure === 'visits') {
      add(result.visits, cell)
      add(result.dayVisits, cell)
    } else if (cell.measure === 'bounces') add(result.bounces, cell)
    else if (cell.measure === 'engaged_seconds') add(result.engaged, cell)
  }
  for (const cell of cells.hourlyVisits) if (cell.measure === 'visits') add(result.visits, cell)
  return result
}

/** A ratio of two noisy sums (released-lists.ts `ratio`), clamped to [low, high]; none without a whole. */
function rateOf(top: Sum, bottom: Sum, places: number, low = 0, high = Number.POSITIVE_INFINITY) {
  if (bottom.value < 1) return { value: null, sd: 0 }
  const { value, stddev } = ratio(figure(top), figure(bottom))
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits
  return { value: round(Math.min(high, Math.max(low, value)), places), sd: round(stddev, places + 1) }
}

/** The overview of a range from released cells (see above). */
export async function releasedOverview(reader: ReleasedReader, range: ReleasedRange): Promise<HeadlineRow> {
  const cells = await headlineCells(reader, range)
  const total = sums(cells)
  const anyDay = cells.published.size > 0
  const conversion = rateOf(total.buyers, total.visitors, 4, 0, 1)
  const perVisit = rateOf(total.dayPageviews, total.dayVisits, 2)
  const bounce = rateOf(total.bounces, total.dayVisits, 4, 0, 1)
  const duration = rateOf(total.engaged, total.dayVisits, 0)
  const types = [...total.events.keys()].sort()
  return {
    from: range.from,
    to: range.to,
    pageviews: shown(figure(total.pageviews)),
    visitors: anyDay ? shown(figure(total.visitors)) : null,
    events: Object.fromEntries(types.map((type) => [type, shown(figure(total.events.get(type) as Sum))])),
    revenue: anyDay ? Math.max(0, money(total.revenue.value)) : null,
    conversion_rate: anyDay ? (conversion.value ?? 0) : null,
    visits: shown(figure(total.visits)),
    views_per_visit: perVisit.value,
    bounce_rate: bounce.value,
    visit_duration: duration.value,
    sd: {
      pageviews: noiseOf(figure(total.pageviews)),
      ...(anyDay
        ? {
            visitors: noiseOf(figure(total.visitors)),
            revenue: noiseOf(figure(total.revenue)),
            conversion_rate: conversion.sd,
          }
        : {}),
      visits: noiseOf(figure(total.visits)),
      ...(perVisit.value === null
        ? {}
        : { views_per_visit: perVisit.sd, bounce_rate: bounce.sd, visit_duration: duration.sd }),
      ...Object.fromEntries(
        types.map((type) => [`events.${type}`, noiseOf(figure(total.events.get(type) as Sum))]),
      ),
    },
  }
}

/** One point per day (or closed hour) of the range that has released cells. */
export async function releasedSeries(
  reader: ReleasedReader,
  range: ReleasedRange,
  interval: 'day' | 'hour',
): Promise<SeriesPoint[]> {
  if (interval === 'hour') return hourlySeries(reader, range)
  const cells = await headlineCells(reader, range)
  const days = new Set([...cells.published, ...cells.hourlyTraffic.map((cell) => cell.day)])
  const on = (day: string) => (cell: ReleasedCell) => cell.day === day
  return [...days].sort().map((day) => {
    const total = sums({
      totals: cells.totals.filter(on(day)),
      traffic: cells.traffic.filter(on(day)),
      visits: cells.visits.filter(on(day)),
      hourlyTraffic: cells.hourlyTraffic.filter(on(day)),
      hourlyVisits: cells.hourlyVisits.filter(on(day)),
    })
    return point(day, total, cells.published.has(day))
  })
}

// Hours are released for the current day and the one before, without filters.
async function hourlySeries(reader: ReleasedReader, range: ReleasedRange): Promise<SeriesPoint[]> {
  if (range.filter) return []
  const [traffic, visits] = await Promise.all([
    reader.cells('traffic_hourly', range, 'hour'),
    reader.cells('visits_hourly', range, 'hour'),
  ])
  const hourOf = (cell: ReleasedCell) => `${cell.day}T${String(cell.slot).padStart(2, '0')}:00:00Z`
  const hours = new Set(traffic.map(hourOf))
  return [...hours].sort().map((hour) => {
    const at = (cell: ReleasedCell) => hourOf(cell) === hour
    const total = sums({
      totals: [],
      traffic: [],
      visits: [],
      hourlyTraffic: traffic.filter(at),
      hourlyVisits: visits.filter(at),
    })
    return point(hour, total, false)
  })
}

function point(time: string, total: Sums, published: boolean): SeriesPoint {
  const events = [...total.events.values()].reduce(
    (all, sum) => ({ value: all.value + sum.value, variance: all.variance + sum.variance }),
    ZERO(),
  )
  return {
    time,
    pageviews: shown(figure(total.pageviews)),
    events: shown(figure(events)),
    revenue: published ? Math.max(0, money(total.revenue.value)) : null,
    visitors: published ? shown(figure(total.visitors)) : null,
    visits: shown(figure(total.visits)),
    sd: {
      pageviews: noiseOf(figure(total.pageviews)),
      events: noiseOf(figure(events)),
      visits: noiseOf(figure(total.visits)),
      ...(published
        ? { visitors: noiseOf(figure(total.visitors)), revenue: noiseOf(figure(total.revenue)) }
        : {}),
    },
  }
}
