/**
 * Counters and gauges for `GET /metrics`, in Prometheus text format. Hand-rolled because the
 * collector needs a dozen series, not a client library: a metric is a name, a help line and a
 * value per label set.
 */

type Labels = Record<string, string>
type Series = { help: string; type: 'counter' | 'gauge'; values: Map<string, number> }

export class Metrics {
  readonly #series = new Map<string, Series>()
  readonly #gauges = new Map<string, () => number>()

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const series = this.#define(name, help, 'counter')
    return (labels = {}, by = 1) => {
      const key = labelKey(labels)
      series.values.set(key, (series.values.get(key) ?? 0) + by)
    }
  }

  /** A gauge read when metrics are rendered, so it is never stale. */
  gauge(name: string, help: string, read: () => number): void {
    this.#define(name, help, 'gauge')
    this.#gauges.set(name, read)
  }

  value(name: string, labels: Labels = {}): number {
    const read = this.#gauges.get(name)
    if (read) return read()
    return this.#series.get(name)?.values.get(labelKey(labels)) ?? 0
  }

  render(): string {
    const lines: string[] = []
    for (const [name, series] of this.#series) {
      lines.push(`# HELP ${name} ${series.help}`, `# TYPE ${name} ${series.type}`)
      const read = this.#gauges.get(name)
      if (read) lines.push(`${name} ${read()}`)
      for (const [key, value] of series.values) lines.push(`${name}${key} ${value}`)
    }
    return `${lines.join('\n')}\n`
  }

  #define(name: string, help: string, type: Series['type']): Series {
    let series = this.#series.get(name)
    if (!series) {
      series = { help, type, values: new Map() }
      this.#series.set(name, series)
    }
    return series
  }
}

const labelKey = (labels: Labels): string => {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([key, value]) => `${key}="${value.replace(/["\\\n]/g, '_')}"`).join(',')}}`
}

/**
 * The `/metrics` of several worker processes as one exposition: each metric's HELP and TYPE once,
 * then every worker's samples with a `worker` label (`sum without (worker) (...)` gives the
 * service's totals). Summing here instead would be wrong for some gauges and hides a worker that
 * stopped counting.
 */
export function mergeWorkerMetrics(parts: ReadonlyArray<{ worker: number; text: string }>): string {
  const metrics = new Map<string, { head: string[]; samples: string[] }>()
  const entry = (name: string) => {
    let found = metrics.get(name)
    if (!found) {
      found = { head: [], samples: [] }
      metrics.set(name, found)
    }
    return found
  }
  for (const { worker, text } of parts) {
    const label = `worker="${worker}"`
    for (const line of text.split('\n')) {
      if (line === '') continue
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
        const found = entry(line.split(' ', 3)[2] ?? '')
        // `# HELP ` and `# TYPE ` are both 7 characters: keep the first of each.
        if (!found.head.some((seen) => seen.startsWith(line.slice(0, 7)))) found.head.push(line)
        continue
      }
      const nameEnd = line.search(/[{ ]/)
      const name = line.slice(0, nameEnd)
      const rest = line.slice(nameEnd)
      entry(name).samples.push(
        rest.startsWith('{') ? `${name}{${label},${rest.slice(1)}` : `${name}{${label}}${rest}`,
      )
    }
  }
  const lines: string[] = []
  for (const { head, samples } of metrics.values()) lines.push(...head, ...samples)
  return `${lines.join('\n')}\n`
}
