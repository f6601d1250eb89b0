/** Prometheus text as `{ 'name{labels}': value }`, one entry per sample line. */
export function parseMetrics(text: string): Record<string, number> {
  const values: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    values[line.slice(0, cut)] = Number(line.slice(cut + 1))
  }
  return values
}
