import { hash, randomBytes } from 'node:crypto'
import { type ScrubbedUrl, scrubUrl } from './scrub.ts'

const DEFAULT_MAX_ENTRIES = 10_000

/**
 * `scrubUrl` with a bounded memory of its answers. A storefront's pages repeat, and scrubbing one
 * URL (its regexes over every segment and parameter) costs about ten times a hash of it. The
 * memory is keyed by SHA-256 of a random key and the URL, so it never holds a raw URL, only what
 * scrubbing left, which is what reaches storage anyway; the key is made at start and lives only in
 * this process. Each set of kept query parameters (one per site) has its own memory. When one is
 * full its oldest entry goes.
 */
export function createScrubCache(
  options: { maxEntries?: number; scrub?: typeof scrubUrl } = {},
): typeof scrubUrl {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const scrub = options.scrub ?? scrubUrl
  const key = randomBytes(32).toString('base64')
  const memories = new Map<ReadonlySet<string>, Map<string, ScrubbedUrl | null>>()

  return (url, keep) => {
    let memory = memories.get(keep)
    if (!memory) {
      memory = new Map()
      memories.set(keep, memory)
    }
    const id = hash('sha256', key + url, 'base64')
    const known = memory.get(id)
    if (known !== undefined) return known
    const scrubbed = scrub(url, keep)
    if (memory.size >= maxEntries) memory.delete(memory.keys().next().value as string)
    memory.set(id, scrubbed ? freeze(scrubbed) : null)
    return scrubbed
  }
}

// One answer serves many events: none of them may change it for the others.
const freeze = (scrubbed: ScrubbedUrl): ScrubbedUrl => {
  Object.freeze(scrubbed.utm)
  return Object.freeze(scrubbed)
}
