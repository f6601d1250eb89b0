import { isbot } from 'isbot'
import { createKeyedMemory } from './keyed-memory.ts'

/*
 * Automation that `isbot` may not list, or may drop from its list in a later release. Every entry
 * is a marker that no stock desktop or mobile browser sends: headless Chromium driven by the
 * browser tests keeps its normal desktop user agent and so stays a visitor, which is intended.
 * `Electron/` counts as a bot because a storefront's real visitors arrive in browsers, while
 * Electron shells are a common scraper harness.
 */
const AUTOMATION = new RegExp(
  [
    'headless',
    'phantomjs',
    'electron/',
    'puppeteer',
    'playwright',
    'selenium',
    'webdriver',
    'lighthouse',
    'python-requests',
    'node-fetch',
    'axios',
    'undici',
    'go-http-client',
    '\\bcurl/',
    '\\bwget/',
    'okhttp',
    '\\bjava/',
  ].join('|'),
  'i',
)

// isbot's pattern is long and runs before anything else on every request, while real traffic
// repeats a few hundred user agents: verdicts are remembered, in a bounded memory (junk user
// agents cannot grow it) keyed by a keyed hash, never the user agent itself (keyed-memory.ts), that
// leaves out unusually long strings. One memory per process.
const verdicts = createKeyedMemory<boolean>(1000)
const MAX_CACHED_LENGTH = 512

/** True for crawlers, scripts and automated browsers; a missing or blank user agent counts as one. */
export const isBot = (userAgent: string | undefined | null): boolean => {
  const ua = userAgent?.trim()
  if (!ua) return true
  return ua.length <= MAX_CACHED_LENGTH ? verdicts.get(ua, judge) : judge(ua)
}

const judge = (ua: string): boolean => AUTOMATION.test(ua) || isbot(ua)
