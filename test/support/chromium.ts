import { type Browser, chromium } from 'playwright-core'

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Debian's headless Chromium (`/usr/bin/chromium`), the one browser the tests drive. `asVisitor`
 * hides the automation flags (`navigator.webdriver`), as a visitor's browser has none: the beacon
 * and the bot filter would rightly drop a browser that says it is automated.
 */
export function launchChromium(options: { asVisitor?: boolean; userAgent?: string } = {}): Promise<Browser> {
  const args = options.asVisitor
    ? // Without this Chromium reports navigator.webdriver = true even without --enable-automation.
      [...LAUNCH_ARGS, '--disable-blink-features=AutomationControlled']
    : LAUNCH_ARGS
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: options.userAgent ? [...args, `--user-agent=${options.userAgent}`] : args,
    ...(options.asVisitor ? { ignoreDefaultArgs: ['--enable-automation'] } : {}),
  })
}
