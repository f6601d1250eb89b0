import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useSeededDashboard } from './browser-fixture.ts'
import { generation, ready, screenshot, signIn } from './support.ts'

// The dashboard on a phone, from the keyboard, with every control labelled and readable contrast.
const seeded = useSeededDashboard()
const { session } = seeded

/**
 * Text whose colour is below WCAG AA contrast on the background it sits on (4.5:1, or 3:1 for
 * large text), for every element that holds text directly.
 */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number)
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const channel = (c: number) => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }
    const background = (element: Element | null): number[] => {
      for (let at = element; at; at = at.parentElement) {
        const color = rgb(getComputedStyle(at).backgroundColor)
        if (color.length >= 3 && (color[3] ?? 1) > 0.5) return color
      }
      return [255, 255, 255]
    }
    const failures: string[] = []
    for (const element of Array.from(document.querySelectorAll('body *'))) {
      const text = Array.from(element.childNodes)
        .filter((node) => node.nodeType === Node.TEXT_NODE)
        .map((node) => node.textContent?.trim())
        .join('')
      const box = element.getBoundingClientRect()
      if (!text || box.width === 0 || element.closest('[aria-hidden="true"], .sr-only, svg, option')) continue
      const style = getComputedStyle(element)
      if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue
      const [light, dark] = [luminance(rgb(style.color)), luminance(background(element))].sort(
        (a, b) => b - a,
      )
      const ratio = ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05)
      const size = Number.parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      if (ratio < (large ? 3 : 4.5))
        failures.push(`${element.tagName}.${element.className} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`)
    }
    return failures
  })
}

describe('the dashboard in a browser', () => {
  it('fits a phone, works from the keyboard and labels every control', async () => {
    const { page, problems } = await session({ width: 390, height: 844 })
    await signIn(page, seeded.dashboard.url)
    const overflow = await page.evaluate(() => document.body.scrollWidth - innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    // The dates and filters fold behind one button on a phone.
    expect(await page.locator('#f-device').isVisible()).toBe(false)
    await page.click('#filters-toggle')
    expect(await page.locator('#f-device').isVisible()).toBe(true)
    expect(await page.getAttribute('#filters-toggle', 'aria-expanded')).toBe('true')
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter(
          (el) =>
            el.getBoundingClientRect().right > innerWidth + 1 && !el.parentElement?.closest('.table-scroll'),
        )
        .map((el) => `${el.tagName}#${el.id}.${el.className}`),
    )
    expect(wide).toEqual([])
    expect(await page.evaluate(() => document.body.scrollWidth - innerWidth)).toBeLessThanOrEqual(0)
    await screenshot(page, 'dashboard-phone.png')

    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input:not([type=hidden]), select, button'))
        .filter((control) => {
          const labelled = (control as HTMLInputElement).labels?.length
          const named = control.getAttribute('aria-label') || control.textContent?.trim()
          return !labelled && !named
        })
        .map((control) => control.outerHTML.slice(0, 80)),
    )
    expect(unlabelled).toEqual([])
    expect(await lowContrast(page)).toEqual([])

    // Keyboard only: focus the range presets and move to "7 days" with the arrow keys.
    await page.focus('.segmented input[value="30d"]')
    const before = await generation(page)
    await page.keyboard.press('ArrowLeft')
    await ready(page, before)
    expect(new URL(page.url()).searchParams.get('range')).toBe('7d')
    // The chart reads out its points from the keyboard.
    await page.focus('#panel-traffic .chart')
    await page.keyboard.press('End')
    await expect.poll(() => page.locator('#panel-traffic .chart-tip').textContent()).toContain('Pageviews')
    expect(problems).toEqual([])
  })
})
