import { randomBytes } from 'node:crypto'
import { getHeapSnapshot } from 'node:v8'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scrubUrl } from '../../collector/scrub.ts'
import { createScrubCache } from '../../collector/scrub-cache.ts'

const none: ReadonlySet<string> = new Set()
const SHOP = 'https://shop.example'

const url = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(
      fc.constantFrom(
        '/',
        '/p/brake-pads',
        '/c/tyres',
        '/account/jane.doe@example.com',
        '/o/4111111111111111',
      ),
      fc.constantFrom('', '?utm_source=news&utm_medium=email', '?q=oil&sort=price', '?email=a@b.c&ref=x'),
    )
    .map(([path, query]) => `${SHOP}${path}${query}`),
  fc.string(),
)

function remember(cached: ReturnType<typeof createScrubCache>, secret: Buffer): string[] {
  const paths: string[] = []
  for (let i = 0; i < 50; i++)
    paths.push(cached(`${SHOP}/p/item-${i}?email=${secret.toString('hex')}&n=${i}`, none)?.path ?? '')
  return paths
}

async function heapText(): Promise<string> {
  // Taking a snapshot collects garbage first: what it still holds is held by something.
  const chunks: Buffer[] = []
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

describe('scrubbed URLs remembered under a keyed hash', () => {
  it('answers exactly as scrubUrl does, first and later times, per set of kept parameters', () => {
    const cached = createScrubCache()
    const keep = new Set(['sort'])
    fc.assert(
      fc.property(url, (raw) => {
        for (const params of [none, keep, none, keep])
          expect(cached(raw, params)).toEqual(scrubUrl(raw, params))
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps the answers of each set of kept parameters apart', () => {
    const cached = createScrubCache()
    const raw = `${SHOP}/search?sort=price&page=2`
    expect(cached(raw, none)?.path).toBe('/search')
    expect(cached(raw, new Set(['sort']))?.path).toBe('/search?sort=price')
    expect(cached(raw, none)?.path).toBe('/search')
  })

  it('scrubs each URL once while remembered, forgets the oldest beyond its bound', () => {
    const seen: string[] = []
    const cached = createScrubCache({
      maxEntries: 2,
      scrub: (raw, keep) => {
        seen.push(raw)
        return scrubUrl(raw, keep)
      },
    })
    const [a, b, c] = ['/a', '/b', '/c'].map((path) => `${SHOP}${path}`) as [string, string, string]
    for (const raw of [a, b, a, b, c, c, a]) cached(raw, none)
    expect(seen).toEqual([a, b, c, a])
  })

  it('hands out answers nobody can change for the next event', () => {
    const cached = createScrubCache()
    const raw = `${SHOP}/p/x?utm_source=news`
    const first = cached(raw, none)
    expect(Object.isFrozen(first) && Object.isFrozen(first?.utm)).toBe(true)
    expect(() => {
      ;(first as { path: string }).path = '/changed'
    }).toThrow()
    expect(cached(raw, none)?.path).toBe('/p/x')
  })

  it('holds no raw URL: its query string is nowhere in the heap once the caller let go', async () => {
    const cached = createScrubCache()
    // The secret exists as a string only inside the URLs, built at run time in a function of their
    // own (a suspended async function keeps its last values alive, whatever the cache does).
    const secret = randomBytes(12)
    const paths = remember(cached, secret)
    expect(paths).toEqual(Array.from({ length: 50 }, (_, i) => `/p/item-${i}`))
    const heap = await heapText()
    expect(heap).toContain('/p/item-49') // the scrubbed path is remembered...
    expect(heap.includes(secret.toString('hex'))).toBe(false) // ...the raw URL is not
  })
})
