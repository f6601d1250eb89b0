import {
  activeFilters,
  type DashboardState,
  FILTERS,
  type FilterName,
  PRESETS,
  parseState,
  presetRange,
  type RangeId,
  stateQuery,
  utcDate,
} from '../state.ts'
import { pagesPanel, sourcesPanel, techPanel } from './audience.ts'
import { funnelPanel, productsPanel, searchPanel, transitionsPanel } from './commerce.ts'
import { byId, h } from './dom.ts'
import { emptyState } from './empty-state.ts'
import {
  downloadsPanel,
  engagementPanel,
  entryPagesPanel,
  exitPagesPanel,
  goalPropsPanel,
  goalsPanel,
  notFoundPanel,
  outboundPanel,
  visitorKindsPanel,
} from './engagement.ts'
import { fmtDay } from './format.ts'
import { insightsPanel } from './insights.ts'
import { countryName } from './labels.ts'
import { offersPanel } from './offers.ts'
import { overviewCards } from './overview.ts'
import type { Ctx, Panel } from './panel.ts'
import type { Row } from './table.ts'
import { trafficChart } from './traffic.ts'

/**
 * The dashboard in the browser. The URL is the state: the filter form mirrors it, every change
 * pushes a new URL, and back/forward restore the view. Views load in parallel through the
 * session (`/ui/data/...`), each showing only released figures and the count of what was held back.
 */

const root = byId('views')
const form = byId<HTMLFormElement>('filters')
const status = byId('status')
document.documentElement.classList.add('js')

const k = Number(root.dataset.k ?? 5)
// Today is the server's UTC day, advanced by the time this page has been open.
const serverNow = Number(root.dataset.now ?? Date.now())
const now = () => new Date(serverNow + performance.now())
const today = () => utcDate(now())
const accepted = JSON.parse(root.dataset.filters ?? '{}') as Record<string, FilterName[]>
const oneFilter = root.dataset.oneFilter === 'true'
const sites = Array.from(
  (form.elements.namedItem('site') as HTMLSelectElement).options,
  (option) => option.value,
)
const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) =>
  form.elements.namedItem(name) as T
const rangeInputs = () => Array.from(form.querySelectorAll<HTMLInputElement>('input[name="range"]'))

let state: DashboardState = parseState(new URLSearchParams(location.search), sites, today())

// --- Filter choices seen in the data (countries and categories are open sets) -------------------

const seen: Record<'country' | 'category', Set<string>> = { country: new Set(), category: new Set() }

function fillOptions(name: 'country' | 'category') {
  const select = field<HTMLSelectElement>(name)
  const values = new Set(seen[name])
  if (state[name]) values.add(state[name])
  const label = name === 'country' ? countryName : (value: string) => value
  const sorted = [...values].filter(Boolean).sort((a, b) => label(a).localeCompare(label(b)))
  select.replaceChildren(
    h('option', { value: '' }, name === 'country' ? 'All countries' : 'All categories'),
    ...sorted.map((value) => h('option', { value, selected: value === state[name] }, label(value))),
  )
}

function remember(name: 'country' | 'category', values: string[]) {
  const before = seen[name].size
  for (const value of values) if (value) seen[name].add(value)
  if (seen[name].size !== before) fillOptions(name)
}

// --- The form and the URL -------------------------------------------------------------------

function writeForm() {
  drawToggle()
  field<HTMLSelectElement>('site').value = state.site
  for (const input of rangeInputs()) input.checked = input.value === state.range
  field<HTMLInputElement>('from').value = state.from
  field<HTMLInputElement>('to').value = state.to
  field<HTMLInputElement>('from').max = today()
  field<HTMLInputElement>('to').max = today()
  for (const name of FILTERS) {
    if (name === 'country' || name === 'category') fillOptions(name)
    else field<HTMLSelectElement>(name).value = state[name]
  }
}

function readForm(): DashboardState {
  const data = new FormData(form)
  const query = new URLSearchParams()
  for (const [name, value] of data) if (typeof value === 'string' && value) query.set(name, value)
  return parseState(query, sites, today())
}

function go(next: DashboardState, push = true) {
  const siteChanged = next.site !== state.site
  state = next
  if (siteChanged) {
    seen.country.clear()
    seen.category.clear()
  }
  if (push) history.pushState(null, '', `/?${stateQuery(state)}`)
  writeForm()
  void refresh()
}

form.addEventListener('change', (event) => {
  const target = event.target as HTMLInputElement
  if (target.name === 'range' && target.value !== 'custom') {
    const range = presetRange(target.value as RangeId, today())
    field<HTMLInputElement>('to').value = range.to
    field<HTMLInputElement>('from').value = range.from
  }
  if (target.name === 'from' || target.name === 'to') {
    // Picking a date makes the range a custom one; an unfinished date waits for the next change.
    if (!target.value) return
    const custom = rangeInputs().find((input) => input.value === 'custom')
    if (custom) custom.checked = true
  }
  go(readForm())
})

form.addEventListener('submit', (event) => {
  event.preventDefault()
  go(readForm())
})

byId('reset').addEventListener('click', (event) => {
  event.preventDefault()
  go(parseState(new URLSearchParams({ site: state.site }), sites, today()))
})

// On a phone the dates and filters fold away behind one button, which says how many are set.
const toggle = byId<HTMLButtonElement>('filters-toggle')
const narrow = matchMedia('(max-width: 640px)')
const drawToggle = () => {
  const count = activeFilters(state).length
  toggle.textContent = count ? `Dates and filters (${count})` : 'Dates and filters'
  toggle.setAttribute('aria-expanded', String(!form.classList.contains('collapsed')))
}
if (narrow.matches) form.classList.add('collapsed')
toggle.addEventListener('click', () => {
  form.classList.toggle('collapsed')
  drawToggle()
})

addEventListener('popstate', () =>
  go(parseState(new URLSearchParams(location.search), sites, today()), false),
)

// --- Views ----------------------------------------------------------------------------------

let products: string[] = []
const setFilter = (name: FilterName, value: string) => go({ ...state, [name]: value })

const cards = overviewCards()
const insights = insightsPanel()
const traffic = trafficChart((released, ctx) => empty.show(released, ctx))
const panels: Panel[] = [
  pagesPanel(),
  sourcesPanel(),
  techPanel({
    id: 'devices',
    title: 'Devices',
    view: 'devices',
    key: 'device',
    heading: 'Device',
    filter: 'device',
  }),
  techPanel({ id: 'browsers', title: 'Browsers', view: 'browsers', key: 'browser', heading: 'Browser' }),
  techPanel({ id: 'os', title: 'Operating systems', view: 'os', key: 'os', heading: 'System' }),
  techPanel({
    id: 'countries',
    title: 'Countries',
    view: 'countries',
    key: 'country',
    heading: 'Country',
    filter: 'country',
    onRows: (rows) =>
      remember(
        'country',
        rows.map((row) => String(row.country ?? '')),
      ),
  }),
  funnelPanel(),
  transitionsPanel(() => [...products]),
  productsPanel((rows: Row[], ctx) => {
    remember(
      'category',
      rows.map((row) => String(row.category ?? '')),
    )
    if (!ctx.state.category) products = rows.map((row) => String(row.product_id)).slice(0, 50)
  }),
  offersPanel(),
  insights,
  searchPanel(),
  entryPagesPanel(),
  exitPagesPanel(),
  engagementPanel(),
  visitorKindsPanel(),
  outboundPanel(),
  downloadsPanel(),
  notFoundPanel(),
  goalsPanel(),
  goalPropsPanel(),
]

const empty = emptyState(() => [cards.element, traffic.element, grid])
const grid = h('div', { class: 'panels' }, ...panels.map((panel) => panel.element))
root.append(empty.element, cards.element, traffic.element, grid)

let controller: AbortController | undefined
let generation = 0

async function refresh(only?: Panel[]) {
  controller?.abort()
  controller = new AbortController()
  const ctx: Ctx = {
    state,
    signal: controller.signal,
    k,
    accepts: (view) => {
      const all = accepted[view] ?? accepted[view.split('?')[0] ?? ''] ?? ['source', 'device', 'country']
      // Released figures take one filter at a time: the first one set that the view holds.
      const first = oneFilter ? all.find((name) => state[name]) : undefined
      return first ? [first] : all
    },
    oneFilter,
    setFilter,
  }
  const mine = ++generation
  root.dataset.state = 'loading'
  status.textContent = 'Loading…'
  const started = performance.now()
  const views = only ?? [cards, traffic, ...panels]
  // The views over the chosen range come first; the insights (one snapshot, many reads) after.
  const range = views.filter((panel) => panel !== insights)
  const loading = range.map((panel) => panel.load(ctx))
  // The first view: the headline figures and the chart, above the fold.
  void Promise.allSettled([loading[range.indexOf(cards)], loading[range.indexOf(traffic)]]).then(() => {
    if (mine === generation) root.dataset.firstView = String(Math.round(performance.now()))
  })
  await Promise.allSettled(loading)
  if (mine !== generation) return
  if (views.includes(insights)) await insights.load(ctx)
  if (mine !== generation) return
  const preset = PRESETS.find((one) => one.id === state.range)
  const label =
    state.range === 'custom'
      ? 'Custom range'
      : /^\d/.test(preset?.label ?? '')
        ? `Last ${preset?.label ?? ''}`
        : (preset?.label ?? '')
  status.textContent = `${label}: ${fmtDay(state.from, { dateStyle: 'medium' })} – ${fmtDay(state.to, { dateStyle: 'medium' })} (UTC). Updated ${now().toLocaleTimeString(undefined, { timeStyle: 'short' })}.`
  root.dataset.state = 'ready'
  root.dataset.ms = String(Math.round(performance.now() - started))
  root.dataset.generation = String(mine)
}

// A living dashboard: the headline figures and the chart follow new traffic while the range
// includes today and the tab is in view; the tables stay put while they are being read.
setInterval(() => {
  if (document.visibilityState !== 'visible' || state.to !== today() || root.dataset.state !== 'ready') return
  if (cards.element.contains(document.activeElement) || traffic.element.contains(document.activeElement))
    return
  void refresh([cards, traffic])
}, 60_000)

writeForm()
history.replaceState(null, '', `/?${stateQuery(state)}`)
void refresh()
