import { isBot } from '../../collector/bots.ts'
import { ALL_USER_AGENTS, createTraffic } from '../../demo/model/requests.js'
import { Event } from '../../schemas/events.ts'

/** The scenario must be what it claims: valid events from browsers, not bots. */
export function checkScenario(site: string, origin: string): void {
  const bots = ALL_USER_AGENTS.filter((ua) => isBot(ua))
  if (bots.length > 0)
    throw new Error(`the scenario has user agents the collector counts as bots: ${bots[0]}`)
  const sample = createTraffic({ site, origin, seed: 99 })
  for (let i = 0; i < 2000; i++) {
    const visit = sample.next()
    const parsed = Event.safeParse(visit.event)
    if (!parsed.success) throw new Error(`the scenario made an invalid event: ${visit.body}`)
  }
}
