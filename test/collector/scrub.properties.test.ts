import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { referrerHost, scrubPath, scrubText, scrubUrl } from '../../collector/scrub.ts'
import {
  card,
  expectNoLeak,
  glue,
  holds,
  KINDS,
  luhnValid,
  NO_UTM,
  none,
  outputs,
  separator,
  word,
  words,
} from './scrub-generators.ts'

// Planted identifiers never come out, and the scrubber is idempotent, bounded and total.

describe.each(Object.entries(KINDS))('a planted %s', (_, planted) => {
  it('is removed from free text, and the words around it stay', () => {
    holds(fc.tuple(words, separator, planted, separator, words), ([before, s1, p, s2, after]) => {
      const out = scrubText(`${before}${s1}${p.value}${s2}${after}`)
      expectNoLeak([out], p)
      // Glued with a bare `:`, a neighbouring word may become part of an address (`a::`).
      if (/\s/.test(s1) && /\s/.test(s2)) {
        for (const w of `${before} ${after}`.split(' ').filter(Boolean)) expect(out).toContain(w)
      }
    })
  })

  it('turns a URL path segment into :id', () => {
    holds(fc.tuple(word, planted, glue, word), ([w1, p, g, w2]) => {
      const out = scrubUrl(`https://shop.example/${w1}/${encodeURIComponent(g(p.value))}/${w2}`, none)
      expect(out?.path).toBe(`/${w1}/:id/${w2}`)
      expectNoLeak(outputs(out), p)
      // Unencoded, a `/` in an e-mail's local part splits it into two segments, and what remains
      // after the cut is no longer the planted address.
      if (!p.value.includes('/')) expectNoLeak([scrubPath(`/${w1}/${g(p.value)}/${w2}`)], p)
    })
  })

  it('is removed from kept, utm and dropped query parameters', () => {
    holds(fc.tuple(word, planted), ([w, p]) => {
      const params = new URLSearchParams({
        q: `${w} ${p.value}`,
        utm_source: p.value,
        utm_medium: `${p.value} ${w}`,
        utm_campaign: `${w} ${p.value}`,
        session: p.value,
      })
      const out = scrubUrl(`https://shop.example/search?${params}`, new Set(['q']))
      expect(out?.path).toBe(`/search?q=${w}`)
      expect(out?.utm).toEqual({ source: '', medium: w, campaign: w })
      expectNoLeak(outputs(out), p)
    })
  })

  it('never comes out of a fragment or userinfo, nor out of a referrer', () => {
    holds(fc.tuple(word, planted), ([w, p]) => {
      const secret = encodeURIComponent(p.value)
      const url = `https://${secret}:${secret}@shop.example/p/${w}?x=1#${p.value}`
      expect(scrubUrl(url, new Set(['x']))).toEqual({
        host: 'shop.example',
        path: `/p/${w}?x=1`,
        utm: NO_UTM,
      })
      expect(referrerHost(url)).toBe('shop.example')
      expect(referrerHost(`https://${secret}@www.ref.example/${secret}?q=${secret}#${p.value}`)).toBe(
        'ref.example',
      )
    })
  })
})

it('plants only Luhn-valid card numbers of 13 to 19 digits', () => {
  holds(card, ({ number }) => expect(luhnValid(number) && /^\d{13,19}$/.test(number)).toBe(true))
  expect([luhnValid('4111111111111111'), luhnValid('4111111111111112')]).toEqual([true, false])
})

// --- properties: robustness ---------------------------------------------------------------------

const binary = fc.string({ unit: 'binary', maxLength: 200 })
// Characters the rules care about, so that near-misses and overlaps are common.
const piiish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefxyzA@.:-+()_ /%=#?\n'), maxLength: 120 })
const mixed = fc
  .array(fc.oneof(word, piiish, ...Object.values(KINDS).map((k) => k.map((p) => p.value))), { maxLength: 6 })
  .map((parts) => parts.join(' '))

describe.each([
  ['arbitrary', binary],
  ['identifier-like', piiish],
  ['mixed', mixed],
] as const)('on %s strings', (_, text) => {
  it('scrubText is idempotent and leaves no stray whitespace', () => {
    holds(text, (input) => {
      const once = scrubText(input)
      expect(scrubText(once)).toBe(once)
      expect(once).not.toMatch(/^\s|\s$|\s\s/)
    })
  })

  it('scrubPath is idempotent and bounded', () => {
    holds(text, (input) => {
      const once = scrubPath(input)
      expect(scrubPath(once)).toBe(once)
      expect(once.length).toBeLessThanOrEqual(512)
    })
  })

  it('scrubUrl and referrerHost never throw', () => {
    holds(text, (input) => {
      const out = scrubUrl(input, new Set(['q']))
      expect(out === null || typeof out.path === 'string').toBe(true)
      expect(referrerHost(input)).not.toMatch(/[:/@]/)
    })
  })
})

it('scrubUrl accepts every web URL and reduces its host', () => {
  const authoritySettings = { withPort: true, withUserInfo: true }
  holds(fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings }), (raw) => {
    const out = scrubUrl(raw, new Set(['q']))
    const path = out?.path.split('?')[0] ?? ''
    expect(out?.host).toMatch(/^[^A-Z:@]+$/)
    expect(path.startsWith('/')).toBe(true)
    expect(scrubPath(path)).toBe(path)
  })
})
