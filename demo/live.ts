import { createRandom } from './model/random.js'
import { createVisit } from './model/visit.ts'

/**
 * Live traffic after the demo's server has started: a few synthetic visits a second through the
 * real socket (`POST /api/event` on 127.0.0.1), so today's figures keep moving. At most four
 * requests in flight; a refused or failed request is dropped, never retried in a loop.
 */
export function liveTraffic(options: {
  url: string
  origin: string
  site: string
  perSecond: number
  seed: number
}) {
  const random = createRandom(options.seed)
  let address = 1 << 20
  let inFlight = 0
  const tick = () => {
    // Poisson arrivals: the number of visits in this 250 ms slice.
    let visits = 0
    for (let p = Math.exp(-options.perSecond / 4), s = p, u = random(); u > s; visits++) {
      p *= options.perSecond / 4 / (visits + 1)
      s += p
    }
    for (let i = 0; i < visits && inFlight < 4; i++) {
      const visit = createVisit({
        random,
        origin: options.origin,
        site: options.site,
        ip: `100.127.${(address >>> 8) & 255}.${address & 255}`,
      })
      address++
      if (visit.events.length === 0) continue
      inFlight++
      fetch(`${options.url}/api/event`, {
        method: 'POST',
        headers: visit.headers,
        body: JSON.stringify({ events: visit.events.slice(0, 50) }),
      })
        .then((response) => response.body?.cancel())
        .catch(() => {})
        .finally(() => {
          inFlight--
        })
    }
  }
  const timer = setInterval(tick, 250)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
