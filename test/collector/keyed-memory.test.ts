import { randomBytes } from 'node:crypto'
import { getHeapSnapshot } from 'node:v8'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBot } from '../../collector/bots.ts'
import { normalizeIp } from '../../collector/client-ip.ts'
import { createCountryLookup, createUaClassifier, isPublicIp } from '../../collector/coarsen.ts'
import { countryOfAddress } from '../../collector/country-table.ts'
import { createKeyedMemory } from '../../collector/keyed-memory.ts'
import { headerRecord } from '../../collector/opt-out.ts'

const none = headerRecord({})

async function heapText(): Promise<string> {
  // Taking a snapshot collects garbage first: what it still holds is held by something.
  const chunks: Buffer[] = []
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

// V8 keeps the subject of the last successful regular expression match; in a server that is the next
// request's.
const forgetLastMatch = () => /y/.test('y')

// Built at run time in functions of their own, so that only what the memories keep can hold them
// once these return (a suspended async function keeps its last values alive, whatever they do).
function classifyMarkedAgents(secret: Buffer): string[] {
  const marker = secret.toString('hex')
  const classify = createUaClassifier()
  const answers: string[] = []
  for (let i = 0; i < 50; i++) {
    const ua = `Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0 ${marker}${i}`
    answers.push(`${isBot(ua)} ${classify(ua).browser}`)
  }
  forgetLastMatch()
  keep.push(classify)
  return answers
}

const address = (group: number) => `2a02:${group.toString(16)}::1`

function lookUpMarkedAddresses(groups: Uint16Array): string[] {
  const lookup = createCountryLookup({ trustProxy: false })
  const answers = [...groups].map((group) => lookup(address(group), none))
  forgetLastMatch()
  keep.push(lookup)
  return answers
}

// The memories stay alive until the snapshot, as they would in a running collector.
const keep: unknown[] = []

describe('answers remembered under a keyed hash (user agents, addresses)', () => {
  it('derives each value once while remembered and forgets the least recently used beyond its bound', () => {
    const derived: string[] = []
    const memory = createKeyedMemory<string>(2)
    const derive = (raw: string) => {
      derived.push(raw)
      return raw.toUpperCase()
    }
    for (const raw of ['a', 'b', 'a', 'c', 'a', 'b']) expect(memory.get(raw, derive)).toBe(raw.toUpperCase())
    expect(derived).toEqual(['a', 'b', 'c', 'b'])
    expect(memory.size).toBe(2)
    expect(() => createKeyedMemory(0)).toThrow(RangeError)
  })

  it('places addresses exactly as the country table does, first and later times', () => {
    const lookup = createCountryLookup({ trustProxy: false, cacheSize: 500 })
    const direct = (ip: string) => {
      const normal = normalizeIp(ip)
      const country = isPublicIp(ip) ? countryOfAddress(normal) : ''
      return /^[A-Z]{2}$/.test(country) ? country : ''
    }
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), (ip) => {
        expect(lookup(ip, none)).toBe(direct(ip))
        expect(lookup(ip, none)).toBe(direct(ip))
      }),
      { numRuns: 3000 },
    )
  })

  it('holds no user agent: a marker in 50 of them is nowhere in the heap, their answers are remembered', async () => {
    const secret = randomBytes(12)
    expect(new Set(classifyMarkedAgents(secret))).toEqual(new Set(['false Firefox']))
    const heap = await heapText()
    expect(heap).toContain('Firefox')
    expect(heap.includes(secret.toString('hex'))).toBe(false)
  })

  it('holds no address: 50 looked-up addresses are nowhere in the heap', async () => {
    // Numbers until after the snapshot: the addresses exist as strings only inside the lookups.
    const groups = new Uint16Array(randomBytes(100).buffer)
    expect(lookUpMarkedAddresses(groups)).toHaveLength(50)
    const heap = await heapText()
    expect([...groups].map(address).filter((ip) => heap.includes(ip))).toEqual([])
  })
})
