import { h, s } from './dom.ts'
import { fmtCompact, fmtInt } from './format.ts'

/**
 * A small SVG line chart: one line per series over evenly spaced buckets, with a pointer and
 * keyboard cursor (arrow keys, Home, End) that reads out the bucket it is on. Sized in real
 * pixels from its container, and redrawn when that changes, so text is never stretched.
 */

export type Series = { key: string; label: string; className: string }
export type ChartPoint = { label: string; long: string; values: Record<string, number> }

const MARGIN = { top: 14, right: 14, bottom: 28, left: 48 }

/** A round upper bound for the axis, so gridlines fall on readable numbers. */
export function niceMax(value: number): number {
  if (value <= 0) return 4
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 1.25, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

export function lineChart(options: { series: Series[]; points: ChartPoint[]; title: string }): HTMLElement {
  const { series, points } = options
  const tip = h('div', { class: 'chart-tip', 'aria-live': 'polite' })
  const host = h('div', {
    class: 'chart',
    tabindex: 0,
    role: 'group',
    'aria-roledescription': 'chart',
    'aria-label': `${options.title}. Use the arrow keys to read each point.`,
  })
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((one) =>
      h('li', {}, h('span', { class: `swatch ${one.className}`, 'aria-hidden': 'true' }), one.label),
    ),
  )
  const wrap = h('div', { class: 'chart-wrap' }, legend, host, tip)
  let cursor = -1
  let geometry: { x: (i: number) => number; y: (v: number) => number; width: number } | undefined
  let overlay: SVGGElement | undefined

  const draw = () => {
    const width = Math.max(280, Math.round(host.clientWidth || 640))
    const height = width < 520 ? 200 : 260
    const innerW = width - MARGIN.left - MARGIN.right
    const innerH = height - MARGIN.top - MARGIN.bottom
    const max = niceMax(
      Math.max(0, ...points.flatMap((point) => series.map((one) => point.values[one.key] ?? 0))),
    )
    const step = points.length > 1 ? innerW / (points.length - 1) : 0
    const x = (i: number) => MARGIN.left + (points.length > 1 ? i * step : innerW / 2)
    const y = (v: number) => MARGIN.top + innerH - (v / max) * innerH
    geometry = { x, y, width }

    const grid = [0, 0.25, 0.5, 0.75, 1].map((f) =>
      s(
        'g',
        { class: 'grid' },
        s('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(max * f), y2: y(max * f) }),
        s('text', { x: MARGIN.left - 8, y: y(max * f) + 4, 'text-anchor': 'end' }, fmtCompact(max * f)),
      ),
    )
    // Labels are counted back from the last bucket (today is always labelled), evenly spaced.
    const every = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(innerW / 72))))
    const last = points.length - 1
    const ticks = points.map((point, i) =>
      (last - i) % every === 0
        ? s(
            'text',
            {
              class: 'tick',
              x: x(i),
              y: height - 8,
              'text-anchor': i === last && points.length > 1 ? 'end' : i === 0 ? 'start' : 'middle',
            },
            point.label,
          )
        : null,
    )
    const lines = series.map((one, index) => {
      const coords = points.map(
        (point, i) => `${x(i).toFixed(1)},${y(point.values[one.key] ?? 0).toFixed(1)}`,
      )
      const line = s('polyline', { class: `line ${one.className}`, points: coords.join(' ') })
      if (index !== 0 || points.length < 2) return line
      const area = `${x(0)},${y(0)} ${coords.join(' ')} ${x(points.length - 1)},${y(0)}`
      return s('g', {}, s('polygon', { class: `area ${one.className}`, points: area }), line)
    })
    overlay = s('g', { class: 'cursor' })
    const svg = s(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true', focusable: 'false' },
      grid,
      ticks,
      lines,
      overlay,
    )
    host.replaceChildren(svg)
    if (cursor >= 0) show(cursor)
  }

  const show = (index: number) => {
    const point = points[index]
    if (!point || !geometry || !overlay) return
    cursor = index
    const { x, y } = geometry
    overlay.replaceChildren(
      s('line', { x1: x(index), x2: x(index), y1: MARGIN.top, y2: y(0) }),
      ...series.map((one) =>
        s('circle', { class: one.className, cx: x(index), cy: y(point.values[one.key] ?? 0), r: 4 }),
      ),
    )
    tip.replaceChildren(
      h('strong', {}, point.long),
      ...series.map((one) =>
        h(
          'span',
          {},
          h('span', { class: `swatch ${one.className}`, 'aria-hidden': 'true' }),
          `${one.label} ${fmtInt(point.values[one.key] ?? 0)}`,
        ),
      ),
    )
    tip.classList.add('visible')
    const left = Math.min(Math.max(x(index) - tip.offsetWidth / 2, 0), geometry.width - tip.offsetWidth)
    tip.style.left = `${Math.max(0, left)}px`
  }
  const hide = () => {
    cursor = -1
    overlay?.replaceChildren()
    tip.classList.remove('visible')
  }

  host.addEventListener('pointermove', (event) => {
    if (!geometry || points.length === 0) return
    const box = host.getBoundingClientRect()
    const offset = event.clientX - box.left
    let nearest = 0
    for (let i = 1; i < points.length; i++) {
      if (Math.abs(geometry.x(i) - offset) < Math.abs(geometry.x(nearest) - offset)) nearest = i
    }
    show(nearest)
  })
  host.addEventListener('pointerleave', hide)
  host.addEventListener('blur', hide)
  host.addEventListener('keydown', (event) => {
    const last = points.length - 1
    const moves: Record<string, number> = {
      ArrowRight: Math.min(last, cursor + 1),
      ArrowLeft: Math.max(0, cursor < 0 ? last : cursor - 1),
      Home: 0,
      End: last,
    }
    const target = moves[event.key]
    if (target === undefined || last < 0) return
    event.preventDefault()
    show(target)
  })

  // Drawn once the chart is laid out, and again whenever its width changes.
  let lastWidth = 0
  new ResizeObserver(() => {
    if (host.clientWidth > 0 && host.clientWidth !== lastWidth) {
      lastWidth = host.clientWidth
      draw()
    }
  }).observe(host)
  return wrap
}
