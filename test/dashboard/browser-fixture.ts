import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { addDays } from '../../dashboard/state.ts'
import { launchChromium } from '../support/chromium.ts'
import { type Dashboard, openSession, type Session, startDashboard } from './support.ts'

/*
 * The dashboard in a real headless Chromium, over the real service: ten days of the demo's
 * synthetic shop recorded through the collector, the read API, the insights job. Every figure the
 * page shows is compared with what the read API answers for the same site, range and filters.
 * One visitor from Japan (a country no synthetic visitor comes from) makes a group under K_ANON.
 */

export type Released = { rows: Record<string, unknown>[]; suppressed: number }

export const query = (params: Record<string, string>) =>
  new URLSearchParams({ site: 'demo', ...params }).toString()

export type SeededDashboard = {
  /** The running service, once the file's `beforeAll` has seeded it. */
  readonly dashboard: Dashboard
  /** A fresh browser profile, closed after the file's tests. */
  session(viewport?: { width: number; height: number }): Promise<Session>
  /** The last `days` UTC days, ending today. */
  range(days: number): { from: string; to: string }
  /** A read-API stats view for the demo site. */
  stats(view: string, params: Record<string, string>): Promise<Released>
}

/**
 * Seeds the service and launches Chromium before a test file's tests; closes both after them.
 * `env` adds to the service's environment.
 */
export function useSeededDashboard(env: Record<string, string> = {}): SeededDashboard {
  let dashboard: Dashboard
  let browser: Browser
  const sessions: Session[] = []

  beforeAll(async () => {
    dashboard = await startDashboard({ days: 10, perDay: 260, env })
    // A lone visitor from Japan, today: a country row of one visitor, which must stay hidden.
    await dashboard.visit(
      new Date(),
      {
        'user-agent':
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        'x-forwarded-for': '100.99.0.1',
        'cf-ipcountry': 'JP',
      },
      [{ type: 'pageview', site: 'demo', url: `${dashboard.url}/p/ceramic-brake-pads` }],
    )
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    for (const session of sessions) await session.context.close().catch(() => {})
    await browser?.close()
    await dashboard?.close()
  })

  const today = () => dashboard.today
  return {
    get dashboard() {
      return dashboard
    },
    session: async (viewport) => {
      const opened = await openSession(browser, viewport)
      sessions.push(opened)
      return opened
    },
    range: (days) => ({ from: addDays(today(), -(days - 1)), to: today() }),
    stats: (view, params) => dashboard.api<Released>(`/api/stats/${view}?${query(params)}`),
  }
}
