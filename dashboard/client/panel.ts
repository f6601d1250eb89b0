import type { DashboardState, FilterName } from '../state.ts'
import { ApiError } from './api.ts'
import { h, type Kid } from './dom.ts'

/** What every view is given when it loads: the state, the request's abort signal, `K_ANON`. */
export type Ctx = {
  state: DashboardState
  signal: AbortSignal
  k: number
  /** Filters each read-API view accepts, from the API's own OpenAPI document. */
  accepts: (view: string) => readonly FilterName[]
  /** Narrows every view by one more filter (clicking a device, a country, a category). */
  setFilter: (name: FilterName, value: string) => void
  /** Released figures (DP on): a view applies one filter at a time. */
  oneFilter?: boolean
}

export type Panel = {
  element: HTMLElement
  load(ctx: Ctx): Promise<void>
}

export type Shell = {
  section: HTMLElement
  tools: HTMLElement
  notes: HTMLElement
  body: HTMLElement
  footer: HTMLElement
}

export function shell(options: { id: string; title: string; wide?: boolean; description?: string }): Shell {
  const heading = `h-${options.id}`
  const tools = h('div', { class: 'tools' })
  const notes = h('div', { class: 'notes' })
  const body = h('div', { class: 'body' }, h('p', { class: 'empty' }, 'Loading…'))
  const footer = h('div', { class: 'footer' })
  const section = h(
    'section',
    {
      class: `panel${options.wide ? ' wide' : ''}`,
      id: `panel-${options.id}`,
      'aria-labelledby': heading,
      'aria-busy': 'true',
    },
    h('header', {}, h('h2', { id: heading }, options.title), tools),
    options.description ? h('p', { class: 'note' }, options.description) : null,
    notes,
    body,
    footer,
  )
  return { section, tools, notes, body, footer }
}

const FILTER_WORDS: Record<FilterName, string> = {
  source: 'source',
  device: 'device',
  country: 'country',
  category: 'category',
}

/** Says which of the active filters a view cannot apply (its rollup has no such column). */
export function unappliedNote(ctx: Ctx, view: string, what = 'these figures'): HTMLElement | null {
  const accepted = ctx.accepts(view)
  const missing = (Object.keys(FILTER_WORDS) as FilterName[]).filter(
    (name) => ctx.state[name] && !accepted.includes(name),
  )
  if (missing.length === 0) return null
  const names = missing.map((name) => FILTER_WORDS[name]).join(' and ')
  const applied = accepted.find((name) => ctx.state[name])
  return h(
    'p',
    { class: 'note unapplied' },
    !ctx.oneFilter
      ? `Not narrowed by ${names}: ${what} are not recorded by ${names}.`
      : applied
        ? `Not narrowed by ${names}: ${what} are released figures, narrowed by one filter at a time (${FILTER_WORDS[applied]}).`
        : `Not narrowed by ${names}: ${what} are released figures, not published by ${names}.`,
  )
}

export function failure(error: unknown, retry: () => void): HTMLElement {
  const message =
    error instanceof ApiError && error.status === 503
      ? 'These figures have not been computed yet; the insights job runs every 15 minutes.'
      : `Could not load these figures: ${error instanceof Error ? error.message : String(error)}`
  return h(
    'div',
    { class: 'empty', role: 'alert' },
    h('p', {}, message),
    h('button', { type: 'button', class: 'small', onclick: retry }, 'Try again'),
  )
}

export const isAbort = (error: unknown): boolean =>
  error instanceof DOMException && error.name === 'AbortError'

/** Runs a panel's load with its busy state, its error display and a retry, ignoring aborted loads. */
export async function guarded(
  section: HTMLElement,
  body: HTMLElement,
  ctx: Ctx,
  work: () => Promise<void>,
  retry: () => void,
) {
  section.setAttribute('aria-busy', 'true')
  try {
    await work()
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return
    body.replaceChildren(failure(error, retry))
  } finally {
    if (!ctx.signal.aborted) section.setAttribute('aria-busy', 'false')
  }
}

/** A value that narrows every view when clicked. */
export function filterButton(ctx: Ctx, name: FilterName, value: string, label: Kid): Kid {
  if (!value || ctx.state[name] === value) return label
  return h(
    'button',
    {
      type: 'button',
      class: 'cell-filter',
      title: `Show only ${FILTER_WORDS[name]} ${value}`,
      onclick: () => ctx.setFilter(name, value),
    },
    label,
  )
}

/** A row of toggle buttons (tabs in the visual sense); the pressed one is the current choice. */
export function toggles<T extends string>(
  label: string,
  options: { id: T; label: string }[],
  current: () => T,
  choose: (id: T) => void,
) {
  const group = h('div', { class: 'tabs', role: 'group', 'aria-label': label })
  const draw = () =>
    group.replaceChildren(
      ...options.map((option) =>
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            'aria-pressed': String(option.id === current()),
            'data-tab': option.id,
            onclick: () => {
              if (option.id === current()) return
              choose(option.id)
              draw()
            },
          },
          option.label,
        ),
      ),
    )
  draw()
  return group
}
