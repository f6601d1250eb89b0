import type { Child } from 'hono/jsx'
import { type DashboardState, DEVICES, PRESETS, SOURCES } from './state.ts'

/**
 * Server-rendered pages: the login form and the dashboard's frame (header, filters, an empty
 * main area that the browser script fills). The filters are a plain GET form whose fields are the
 * URL's query, so a shared link opens the same view and the form works before the script runs.
 * No inline script or style anywhere: everything the page runs or wears is a served file.
 */

type Assets = { version: string }

function Layout(props: { title: string; assets: Assets; children: Child; script?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <meta name="referrer" content="same-origin" />
        <title>{props.title}</title>
        <link rel="icon" href="/ui/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={`/ui/styles.css?v=${props.assets.version}`} />
        {props.script ? <script defer src={`/ui/app.js?v=${props.assets.version}`} /> : null}
      </head>
      <body>{props.children}</body>
    </html>
  )
}

export function LoginPage(props: {
  assets: Assets
  next: string
  error?: string
  configured: boolean
  hint: string
}) {
  return (
    <Layout title="Sign in · Tally" assets={props.assets}>
      <main class="login">
        <form class="login-card" method="post" action="/login">
          <h1>
            <span class="logo" aria-hidden="true">
              ▮▮▯
            </span>{' '}
            Tally
          </h1>
          <p class="muted">Aggregate analytics. No identifier is stored, no small group is shown.</p>
          {props.configured ? (
            <>
              <label for="token">Dashboard token</label>
              <input
                id="token"
                name="token"
                type="password"
                autocomplete="current-password"
                required
                minlength={16}
                autofocus
                aria-invalid={props.error ? 'true' : undefined}
                aria-describedby={props.error ? 'login-error' : undefined}
              />
              <input type="hidden" name="next" value={props.next} />
              {props.error ? (
                <p id="login-error" class="error" role="alert">
                  {props.error}
                </p>
              ) : null}
              <button type="submit" class="primary">
                Sign in
              </button>
              <p class="muted small-print">{props.hint}</p>
            </>
          ) : (
            <p class="error" role="alert">
              The dashboard is locked: start Tally with <code>DASHBOARD_TOKEN</code> set to a secret of at
              least 16 characters, then sign in with it.
            </p>
          )}
        </form>
      </main>
    </Layout>
  )
}

const label = (value: string) => value.charAt(0).toUpperCase() + value.slice(1)

function Select(props: {
  name: string
  title: string
  value: string
  options: readonly string[]
  all?: string
  labels?: (value: string) => string
  class?: string
}) {
  const options =
    props.value && !props.options.includes(props.value) ? [props.value, ...props.options] : props.options
  const show = props.labels ?? ((value: string) => value)
  return (
    <div class={`field${props.class ? ` ${props.class}` : ''}`}>
      <label for={`f-${props.name}`}>{props.title}</label>
      <select id={`f-${props.name}`} name={props.name}>
        {props.all !== undefined ? <option value="">{props.all}</option> : null}
        {options.map((option) => (
          <option value={option} selected={option === props.value}>
            {show(option)}
          </option>
        ))}
      </select>
    </div>
  )
}

export function DashboardPage(props: {
  assets: Assets
  state: DashboardState
  sites: string[]
  k: number
  today: string
  /** The server's clock (ms), so the page's presets follow the server's UTC day. */
  now: number
  /** The filters each read-API view accepts. */
  filters: Record<string, string[]>
  /** Released figures take one filter at a time: the first one set applies, the others are noted. */
  oneFilter?: boolean
}) {
  const { state } = props
  return (
    <Layout title="Tally dashboard" assets={props.assets} script>
      <a class="skip" href="#views">
        Skip to the figures
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ▮▮▯
          </span>{' '}
          Tally
        </div>
        <form method="post" action="/logout" class="logout">
          <button type="submit" class="ghost">
            Log out
          </button>
        </form>
      </header>
      <form id="filters" class="filters" method="get" action="/" aria-label="Site, date range and filters">
        <Select name="site" title="Site" value={state.site} options={props.sites} />
        <fieldset class="presets">
          <legend>Date range</legend>
          <div class="segmented">
            {PRESETS.map((preset) => (
              <label class="segment">
                <input
                  class="segment-input"
                  type="radio"
                  name="range"
                  value={preset.id}
                  checked={state.range === preset.id}
                />
                <span class="segment-text">{preset.label}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <button
          type="button"
          class="filters-toggle small"
          id="filters-toggle"
          aria-controls="filters"
          aria-expanded="true"
        >
          Dates and filters
        </button>
        <div class="field dates collapsible" id="custom-dates">
          <label for="f-from">From</label>
          <input id="f-from" type="date" name="from" value={state.from} max={props.today} />
          <label for="f-to">To</label>
          <input id="f-to" type="date" name="to" value={state.to} max={props.today} />
        </div>
        <Select
          name="source"
          class="collapsible"
          title="Source"
          value={state.source}
          options={SOURCES}
          all="All sources"
          labels={label}
        />
        <Select
          name="device"
          class="collapsible"
          title="Device"
          value={state.device}
          options={DEVICES}
          all="All devices"
          labels={label}
        />
        <Select
          name="country"
          class="collapsible"
          title="Country"
          value={state.country}
          options={[]}
          all="All countries"
        />
        <Select
          name="category"
          class="collapsible"
          title="Category"
          value={state.category}
          options={[]}
          all="All categories"
        />
        <div class="field actions collapsible">
          <button type="submit" class="primary" id="apply">
            Apply
          </button>
          <a href={`/?site=${encodeURIComponent(state.site)}`} id="reset" class="ghost button">
            Reset
          </a>
        </div>
      </form>
      <main
        id="views"
        data-k={String(props.k)}
        data-today={props.today}
        data-now={String(props.now)}
        data-filters={JSON.stringify(props.filters)}
        data-one-filter={props.oneFilter ? 'true' : 'false'}
        tabindex={-1}
      >
        <p id="status" class="status" role="status" aria-live="polite">
          Loading…
        </p>
        <noscript>
          <p class="error">
            The dashboard draws its figures with JavaScript; please enable it for this site.
          </p>
        </noscript>
      </main>
    </Layout>
  )
}
