import { type Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { csrf } from 'hono/csrf'
import { type Attempts, throttled } from '../core/tokens.ts'
import { type Asset, type Assets, buildAssets } from './assets.ts'
import { DashboardPage, LoginPage } from './pages.tsx'
import { safeNext } from './safe-next.ts'
import { createSession, SESSION_COOKIE, SESSION_SECONDS, sameSecret, validSession } from './session.ts'
import type { SessionEpoch } from './session-epoch.ts'
import { FILTERS, type FilterName, parseState, utcDate } from './state.ts'

export type DashboardUiDeps = {
  /** The dashboard's bearer token (`DASHBOARD_TOKEN` or its generated file): what a user signs in with. */
  token: string | undefined
  /** Where an operator finds the token, for the login page. */
  tokenHint: string
  /** The recommendation service's token, to show the insights it reads; unset hides them. */
  apiToken?: string | undefined
  /** How many days the insights job looks back, for the insights view's note. */
  insightsWindowDays: number
  /** The configured site ids, for the site switcher. */
  sites: readonly string[]
  /** `K_ANON`, for the "n rows hidden" notes. */
  k: number
  /** Whether the read API answers from released figures (DP on): one filter at a time. */
  releasedFigures?: boolean
  /** Whether `X-Forwarded-Proto` is believed (`TRUST_PROXY`), to mark the cookie `Secure` behind TLS. */
  trustProxy: boolean
  /** Calls the read API in this process (the app's own `request`), with tokens the browser never sees. */
  readApi: (path: string, init: RequestInit) => Response | Promise<Response>
  /** Signed into every session; signing out advances it (sign out everywhere). */
  epoch?: SessionEpoch
  /** Throttles wrong tokens per client, shared with the read API's bearer tokens. */
  attempts?: Attempts | undefined
  now?: () => Date
}

// What the browser may ask the read API for through its session: `/api/stats/<view>` reads only.
const STATS_VIEW = /^[a-z][a-z0-9_-]{0,39}$/
/** Most segments the insights view reads (largest first); a shop with more sees its biggest. */
export const MAX_SEGMENTS = 200
const FANOUT = 6

/**
 * The product team's dashboard: `/` (the page), `/login` and `/logout`, the bundled script and
 * stylesheet under `/ui/`, and `/ui/data/*`, which reads `/api/stats/*` for a signed-in browser.
 *
 * The tokens stay on the server: the browser holds only a signed session cookie (HttpOnly,
 * SameSite=Strict), and its reads are forwarded to the read API with the token added, so the
 * read API's validation and its k-anonymity gate apply to every figure the dashboard shows.
 */
export function dashboardUiRoutes(deps: DashboardUiDeps): Hono {
  const now = deps.now ?? (() => new Date())
  const app = new Hono()
  // Build the assets as the process starts, so the first visitor does not wait for esbuild.
  buildAssets().catch(() => {})

  const epoch = () => deps.epoch?.current() ?? 0
  const signedIn = (c: Context) => validSession(getCookie(c, SESSION_COOKIE), deps.token, now(), epoch())
  const origin = (c: Context) => new URL(c.req.url).origin
  const secure = (c: Context) =>
    new URL(c.req.url).protocol === 'https:' ||
    (deps.trustProxy && c.req.header('x-forwarded-proto')?.split(',').at(-1)?.trim() === 'https')
  const noStore = (c: Context) => c.header('Cache-Control', 'no-store')
  const read = (path: string, token: string) =>
    Promise.resolve(
      deps.readApi(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }),
    )

  // Which filters each stats view accepts, from the read API's OpenAPI document: the browser
  // sends a view only the filters it can apply, and says so for the others.
  let accepted: Promise<Record<string, FilterName[]>> | undefined
  const filtersByView = () => {
    accepted ??= Promise.resolve(deps.readApi('/api/openapi.json', {}))
      .then((response) =>
        response.ok ? response.json() : Promise.reject(new Error(String(response.status))),
      )
      .then((document: OpenApi) => viewFilters(document, deps.releasedFigures ?? false))
      .catch((error: unknown) => {
        accepted = undefined
        throw error
      })
    return accepted.catch(() => ({}))
  }

  // Login and logout are form posts: refuse them from other origins.
  app.use('/login', csrf())
  app.use('/logout', csrf())

  app.get('/', async (c) => {
    noStore(c)
    if (!signedIn(c)) {
      const search = new URL(c.req.url).search
      return c.redirect(search ? `/login?next=${encodeURIComponent(`/${search}`)}` : '/login', 302)
    }
    const at = now()
    const today = utcDate(at)
    const state = parseState(new URL(c.req.url).searchParams, deps.sites, today)
    const [assets, filters] = await Promise.all([buildAssets(), filtersByView()])
    return c.html(
      <DashboardPage
        assets={assets}
        state={state}
        sites={[...deps.sites]}
        k={deps.k}
        today={today}
        now={at.getTime()}
        filters={filters}
        oneFilter={deps.releasedFigures ?? false}
      />,
    )
  })

  const loginPage = async (c: Context, next: string, error?: string) => {
    const assets: Assets = await buildAssets()
    const page = (
      <LoginPage
        assets={assets}
        next={next}
        configured={deps.token !== undefined}
        hint={deps.tokenHint}
        {...(error ? { error } : {})}
      />
    )
    return c.html(page, error ? 401 : 200)
  }

  app.get('/login', (c) => {
    noStore(c)
    const next = safeNext(c.req.query('next'), origin(c))
    if (signedIn(c)) return c.redirect(next, 302)
    return loginPage(c, next)
  })

  app.post('/login', async (c) => {
    noStore(c)
    const refused = throttled(c, deps.attempts)
    if (refused) return refused
    const form = await c.req.parseBody()
    const token = typeof form.token === 'string' ? form.token.trim() : ''
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined, origin(c))
    if (!deps.token || !sameSecret(token, deps.token)) {
      deps.attempts?.throttle.failed(deps.attempts.client(c))
      return loginPage(c, next, 'That token is not right. Check it and try again.')
    }
    setCookie(c, SESSION_COOKIE, createSession(deps.token, now(), epoch()), {
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      path: '/',
      maxAge: SESSION_SECONDS,
    })
    return c.redirect(next, 303)
  })

  // Signing out ends every session, not only this browser's: the cookie is stateless, so the
  // epoch it was signed under is what can be revoked.
  app.post('/logout', (c) => {
    noStore(c)
    if (signedIn(c)) deps.epoch?.advance()
    deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: secure(c) })
    return c.redirect('/login', 303)
  })

  const serve = (pick: (assets: Assets) => Asset) => async (c: Context) => {
    const asset = pick(await buildAssets())
    c.header('ETag', asset.etag)
    // The page names assets with their version, so a cached copy is never stale.
    c.header('Cache-Control', c.req.query('v') ? 'public, max-age=31536000, immutable' : 'no-cache')
    c.header('X-Content-Type-Options', 'nosniff')
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
    c.header('Content-Type', asset.type)
    return c.body(asset.body)
  }
  app.get('/ui/favicon.svg', (c) => {
    c.header('Cache-Control', 'public, max-age=86400')
    return c.body(FAVICON, 200, { 'Content-Type': 'image/svg+xml' })
  })
  app.get(
    '/ui/app.js',
    serve((assets) => assets.script),
  )
  app.get(
    '/ui/styles.css',
    serve((assets) => assets.style),
  )

  // Every data route needs a session; an expired one answers 401 so the page can sign in again.
  app.use('/ui/data/*', async (c, next) => {
    noStore(c)
    if (!signedIn(c) || !deps.token) return c.json({ error: 'unauthorized', message: 'sign in again' }, 401)
    await next()
    c.header('Cache-Control', 'no-store')
  })

  // Offer insights per segment: the recommendation service's own reads, one per segment. The
  // snapshot changes only when the insights job runs, so the assembled answer is kept per site
  // until the segment list reports a newer snapshot.
  const insights = new Map<string, { computedAt: string; body: Promise<InsightsResult> }>()
  const reading = new Map<string, Promise<InsightsResult>>()
  const insightsFor = (site: string): Promise<InsightsResult> => {
    let pending = reading.get(site)
    if (!pending) {
      pending = readInsights(site).finally(() => reading.delete(site))
      reading.set(site, pending)
    }
    return pending
  }
  const readInsights = async (site: string): Promise<InsightsResult> => {
    if (!deps.apiToken)
      return { status: 503, body: { error: 'not_ready', message: 'no API token is configured' } }
    const token = deps.apiToken
    const listed = await read(`/api/v1/segments?${new URLSearchParams({ site, limit: '1000' })}`, token)
    if (!listed.ok) return { status: listed.status, body: await listed.json() }
    const segments = (await listed.json()) as { rows: SegmentRow[]; suppressed: number }
    const computedAt = `${segments.rows[0]?.computed_at ?? ''}|${segments.rows.length}|${segments.suppressed}`
    const kept = insights.get(site)
    if (kept?.computedAt === computedAt) return kept.body
    const body = assembleInsights(site, segments, token)
    insights.set(site, { computedAt, body })
    // A failed read is not kept.
    body.then((result) => result.status !== 200 && insights.delete(site)).catch(() => insights.delete(site))
    return body
  }
  const assembleInsights = async (
    site: string,
    segments: { rows: SegmentRow[]; suppressed: number },
    token: string,
  ): Promise<InsightsResult> => {
    const chosen = segments.rows.slice(0, MAX_SEGMENTS)
    const results: unknown[] = new Array(chosen.length)
    let cursor = 0
    let failed: InsightsResult | undefined
    const worker = async () => {
      while (cursor < chosen.length && !failed) {
        const index = cursor++
        const segment = chosen[index] as SegmentRow
        const query = new URLSearchParams({ site, segment: segment.segment, limit: '1000' })
        const answer = await read(`/api/v1/offers?${query}`, token)
        if (!answer.ok) {
          failed = { status: answer.status, body: await answer.json() }
          return
        }
        const arms = (await answer.json()) as { rows: unknown[]; suppressed: number }
        results[index] = { ...segment, arms: arms.rows, suppressed: arms.suppressed }
      }
    }
    await Promise.all(Array.from({ length: FANOUT }, worker))
    if (failed) return failed
    return {
      status: 200,
      body: {
        computed_at: chosen[0]?.computed_at ?? null,
        window_days: deps.insightsWindowDays,
        segments: results,
        suppressed: segments.suppressed,
        omitted: segments.rows.length - chosen.length,
      },
    }
  }

  app.get('/ui/data/insights/offers', async (c) => {
    const site = c.req.query('site') ?? ''
    if (!deps.sites.includes(site)) {
      return c.json({ error: 'unknown_site', message: 'site: not a configured site', field: 'site' }, 400)
    }
    const result = await insightsFor(site)
    return c.json(result.body as object, result.status as 200)
  })

  app.get('/ui/data/:view', async (c) => {
    const view = c.req.param('view')
    if (!STATS_VIEW.test(view)) return c.json({ error: 'not_found', message: 'no such view' }, 404)
    if (!deps.token) return c.json({ error: 'unauthorized', message: 'sign in again' }, 401)
    return passThrough(await read(`/api/stats/${view}${new URL(c.req.url).search}`, deps.token))
  })

  return app
}

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="6" width="3" height="9" fill="#1f53c0"/><rect x="6" y="3" width="3" height="12" fill="#1f53c0"/><rect x="11" y="8" width="3" height="7" fill="#8fb3ff"/></svg>'

type SegmentRow = { segment: string; computed_at?: string } & Record<string, unknown>
type InsightsResult = { status: number; body: unknown }

const passThrough = (answer: Response) =>
  new Response(answer.body, {
    status: answer.status,
    headers: {
      'Content-Type': answer.headers.get('content-type') ?? 'application/json',
      'Cache-Control': 'no-store',
    },
  })

type OpenApi = {
  paths?: Record<
    string,
    {
      get?: {
        parameters?: { name: string; in: string }[]
        'x-released-filters'?: string[]
        'x-released-filters-by'?: { param: string; values: Record<string, string[]> }
      }
    }
  >
}

/**
 * `{ pages: ['source', 'device', 'country'], products: [..., 'category'], ... }` for `/api/stats/*`.
 * With released figures (DP on), a view with a released form takes the filters of that form
 * (`x-released-filters`), one at a time; where they depend on a parameter (`x-released-filters-by`),
 * each value has an entry of its own, e.g. `sources?by=referrer_host`.
 */
export function viewFilters(document: OpenApi, released = false): Record<string, FilterName[]> {
  const views: Record<string, FilterName[]> = {}
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const match = /^\/api\/stats\/([a-z][a-z0-9_-]*)$/.exec(path)
    if (!match?.[1]) continue
    const releasedForm = released ? item.get?.['x-released-filters'] : undefined
    const names = new Set(
      releasedForm ?? (item.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    )
    views[match[1]] = FILTERS.filter((name) => names.has(name))
    const by = released ? item.get?.['x-released-filters-by'] : undefined
    for (const [value, filters] of Object.entries(by?.values ?? {})) {
      views[`${match[1]}?${by?.param}=${value}`] = FILTERS.filter((name) => filters.includes(name))
    }
  }
  return views
}
