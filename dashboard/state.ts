/**
 * The dashboard's view state, which lives in the URL so that a view can be shared: site, date
 * range and filters. Shared by the server (to render the form) and the browser script (to fetch
 * and to push history), so both read a link the same way. No Node or DOM imports here.
 */

export const SOURCES = ['search', 'social', 'email', 'paid', 'direct', 'other'] as const
export const DEVICES = ['desktop', 'mobile', 'tablet', 'other'] as const
export const FILTERS = ['source', 'device', 'country', 'category'] as const
export type FilterName = (typeof FILTERS)[number]

export const PRESETS = [
  { id: 'today', label: 'Today', days: 1 },
  { id: 'yesterday', label: 'Yesterday', days: 1 },
  { id: '7d', label: '7 days', days: 7 },
  { id: '30d', label: '30 days', days: 30 },
  { id: 'month', label: 'This month', days: 0 },
  { id: 'last-month', label: 'Last month', days: 0 },
  { id: '12m', label: '12 months', days: 365 },
  { id: 'custom', label: 'Custom', days: 0 },
] as const
export type RangeId = (typeof PRESETS)[number]['id']
export const DEFAULT_RANGE: RangeId = '30d'
/** The longest custom range the dashboard asks for (the default retention is 395 days). */
export const MAX_DAYS = 400

export type DashboardState = {
  site: string
  range: RangeId
  /** UTC dates, inclusive, `YYYY-MM-DD`. */
  from: string
  to: string
} & Record<FilterName, string>

const DAY_MS = 86_400_000
const DATE = /^\d{4}-\d{2}-\d{2}$/

export const utcDate = (at: Date): string => at.toISOString().slice(0, 10)
export const addDays = (day: string, days: number): string =>
  utcDate(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS))
export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1

/** The UTC days a preset spans on `today`: the last n days, yesterday, or a calendar month. */
export function presetRange(id: RangeId, today: string): { from: string; to: string } {
  const monthStart = `${today.slice(0, 8)}01`
  switch (id) {
    case 'yesterday':
      return { from: addDays(today, -1), to: addDays(today, -1) }
    case 'month':
      return { from: monthStart, to: today }
    case 'last-month': {
      const lastDay = addDays(monthStart, -1)
      return { from: `${lastDay.slice(0, 8)}01`, to: lastDay }
    }
    default: {
      const days = PRESETS.find((preset) => preset.id === id)?.days || 30
      return { from: addDays(today, -(days - 1)), to: today }
    }
  }
}

const validDate = (value: string | null | undefined): value is string =>
  typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))

const FILTER_CHECKS: Record<FilterName, (value: string) => boolean> = {
  source: (value) => (SOURCES as readonly string[]).includes(value),
  device: (value) => (DEVICES as readonly string[]).includes(value),
  country: (value) => /^[A-Z]{2}$/.test(value),
  category: (value) => value.length <= 128 && [...value].every((char) => char >= ' '),
}

type Query = { get(name: string): string | null | undefined }

/** Reads a URL query into a complete, valid state; anything invalid falls back to a default. */
export function parseState(query: Query, sites: readonly string[], today: string): DashboardState {
  const site = query.get('site') ?? ''
  const rangeParam = query.get('range') ?? ''
  let range: RangeId = PRESETS.some((preset) => preset.id === rangeParam)
    ? (rangeParam as RangeId)
    : DEFAULT_RANGE
  let from = query.get('from')
  let to = query.get('to')
  // A link that names dates but no preset means those dates.
  if (!rangeParam && validDate(from) && validDate(to)) range = 'custom'
  if (range === 'custom') {
    if (!validDate(from) || !validDate(to)) {
      range = DEFAULT_RANGE
    } else {
      if (from > to) [from, to] = [to, from]
      if (to > today) to = today
      if (from > to) from = to
      if (daysBetween(from, to) > MAX_DAYS) from = addDays(to, -(MAX_DAYS - 1))
    }
  }
  if (range !== 'custom') ({ from, to } = presetRange(range, today))
  const filters = Object.fromEntries(
    FILTERS.map((name) => {
      const value = (query.get(name) ?? '').trim()
      return [name, value && FILTER_CHECKS[name](value) ? value : '']
    }),
  ) as Record<FilterName, string>
  return {
    site: sites.includes(site) ? site : (sites[0] ?? ''),
    range,
    from: from as string,
    to: to as string,
    ...filters,
  }
}

/** The state as a URL query: presets by name, so a shared "7 days" link stays "the last 7 days". */
export function stateQuery(state: DashboardState): URLSearchParams {
  const query = new URLSearchParams({ site: state.site, range: state.range })
  if (state.range === 'custom') {
    query.set('from', state.from)
    query.set('to', state.to)
  }
  for (const name of FILTERS) if (state[name]) query.set(name, state[name])
  return query
}

/** The read API's query for one range: site, from, to and the filters that are set. */
export function apiQuery(
  state: DashboardState,
  range: { from: string; to: string } = state,
): URLSearchParams {
  const query = new URLSearchParams({ site: state.site, from: range.from, to: range.to })
  for (const name of FILTERS) if (state[name]) query.set(name, state[name])
  return query
}

/** The period of the same length just before the range: what the overview compares against. */
export function previousRange(state: Pick<DashboardState, 'from' | 'to'>): { from: string; to: string } {
  const days = daysBetween(state.from, state.to)
  return { from: addDays(state.from, -days), to: addDays(state.from, -1) }
}

export const activeFilters = (state: DashboardState): FilterName[] =>
  FILTERS.filter((name) => state[name] !== '')
