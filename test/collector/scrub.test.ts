import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { referrerHost, scrubPath, scrubText, scrubUrl } from '../../collector/scrub.ts'

// `npm run mutate` runs these once per mutant and asks for fewer cases (vitest.mutate.config.ts).
const runs = { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) }
const none: ReadonlySet<string> = new Set()
const NO_UTM = { source: '', medium: '', campaign: '' }

// --- generators -------------------------------------------------------------------------------

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''))

/** Written independently of the code under test, to build and to check card numbers. */
const luhnSum = (number: string) =>
  [...number].reverse().reduce((sum, char, i) => {
    const d = Number(char) * (i % 2 === 1 ? 2 : 1)
    return sum + (d > 9 ? d - 9 : d)
  }, 0)
const withCheckDigit = (body: string) => body + String((10 - (luhnSum(`${body}0`) % 10)) % 10)
const luhnValid = (number: string) => luhnSum(number) % 10 === 0

const card = fc
  .tuple(fc.integer({ min: 13, max: 19 }), digits(18, 18), fc.constantFrom('', ' ', '-'))
  .map(([length, body, separator]) => {
    const number = withCheckDigit(body.slice(0, length - 1))
    return { number, text: (number.match(/.{1,4}/g) ?? []).join(separator) }
  })

// `+1 (555) 123-4567`, `555.123.4567`, `0612 34 56 78`...: seven digits or more.
const country = fc.option(
  digits(1, 3).map((cc) => `+${cc} `),
  { nil: '' },
)
const groups = fc.array(digits(2, 4), { minLength: 2, maxLength: 3 })
const phone = fc
  .tuple(country, digits(3, 4), fc.boolean(), groups, fc.constantFrom('', ' ', '-', '.', ' - '))
  .map(([cc, area, parens, rest, sep]) => cc + (parens ? `(${area}) ` : area + sep) + rest.join(sep))

const hexChars = [...'0123456789abcdefABCDEF']
const hexToken = fc.string({ unit: fc.constantFrom(...hexChars), minLength: 16, maxLength: 48 })
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
// Letters and digits mixed, as in session ids and API keys.
const secretToken = fc
  .tuple(fc.constantFrom(...'abcXYZ'), fc.string({ unit: alnum, minLength: 18, maxLength: 40 }), digits(1, 1))
  .map((parts) => parts.join(''))
const anyCase = (value: fc.Arbitrary<string>) =>
  fc.tuple(value, fc.boolean()).map(([v, upper]) => (upper ? v.toUpperCase() : v))

type Planted = { value: string; forbidden: string[] }
const plain = (value: fc.Arbitrary<string>) => value.map((v): Planted => ({ value: v, forbidden: [v] }))

/** Every kind of identifier, and the forms of it that must not come out again. */
const KINDS: Record<string, fc.Arbitrary<Planted>> = {
  email: plain(fc.emailAddress()),
  'card number': card.map(({ number, text }) => ({ value: text, forbidden: [text, number] })),
  'phone number': phone.map((text) => ({ value: text, forbidden: [text, text.replace(/\D/g, '')] })),
  IPv4: plain(fc.ipV4()),
  IPv6: plain(anyCase(fc.ipV6())),
  UUID: plain(anyCase(fc.uuid())),
  'hex token': plain(hexToken),
  'base64 token': plain(secretToken),
}

const word = fc.stringMatching(/^[a-z]{1,10}$/)
const words = fc.array(word, { maxLength: 5 }).map((w) => w.join(' '))
const separator = fc.constantFrom(' ', ', ', ' (', ') ', '; ', ': ', ':', '. ', '\n', '\t', ' "', '" ')

// Kept query values are escaped; planted values are ASCII, so this is enough to read them back.
const unescapeQuery = (text: string) =>
  text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

const outputs = (out: ReturnType<typeof scrubUrl>) =>
  out ? [out.host, out.path, out.utm.source, out.utm.medium, out.utm.campaign] : []

const expectNoLeak = (fields: string[], planted: Planted) => {
  const views = fields.flatMap((field) => [field, unescapeQuery(field)].map((view) => view.toLowerCase()))
  for (const forbidden of planted.forbidden) {
    for (const view of views) expect(view).not.toContain(forbidden.toLowerCase())
  }
}

// --- examples ---------------------------------------------------------------------------------

describe('scrubText', () => {
  it.each([
    ['brake pads for jane@x.com', 'brake pads for'],
    ['mail JANE.Doe+shop@Mail.Example.co.uk please', 'mail please'],
    ['typo jane@gmail', 'typo'],
    ['card 4111 1111 1111 1111 thanks', 'card thanks'],
    ['card 4111111111111112 not luhn', 'card not luhn'],
    ['call +1 (555) 123-4567 now', 'call now'],
    ['ring 06 12 34 56 78', 'ring'],
    ['full-width ０９０－１２３４－５６７８', 'full-width'],
    ['from 192.168.0.1:8080', 'from :8080'],
    ['from 2001:db8::1. ok', 'from . ok'],
    ['v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 x', 'v6 x'],
    ['mapped ::ffff:10.0.0.1', 'mapped'],
    ['glued ip:fe80::1 x', 'glued ip x'],
    ['mac 00:1A:2b:3c:4d:5e', 'mac'],
    ['order 550E8400-e29b-41d4-a716-446655440000 x', 'order x'],
    ['token deadbeefdeadbeef00 y', 'token y'],
    ['jwt aB3dE5fG7hJ9kL2mN4pQ z', 'jwt z'],
    ['a   lot\tof\n space ', 'a lot of space'],
  ])('%j -> %j', (input, expected) => {
    expect(scrubText(input)).toBe(expected)
  })

  it.each([
    'summer-sale-2024-collection-shoes',
    'iphone 15 pro 256gb',
    'meet at 12:30:45',
    'size 42 shoes under 99.90',
    'v1.2 release',
    'deadbeef cafe',
  ])('keeps ordinary text: %j', (input) => {
    expect(scrubText(input)).toBe(input)
  })

  it('repeats until nothing more can be removed', () => {
    // Removing the e-mail and collapsing the spaces joins `555` and `1234` into a phone number.
    expect(scrubText('call 555  jane@x.co  1234')).toBe('call')
  })
})

describe('scrubPath', () => {
  it.each([
    ['/orders/12345/items', '/orders/:id/items'],
    ['/p/brake-pads', '/p/brake-pads'],
    ['/o/550e8400-e29b-41d4-a716-446655440000', '/o/:id'],
    ['/c/3f9a2b1c', '/c/:id'],
    ['/c/deadbeef', '/c/deadbeef'],
    ['/reset/aB3dE5fG7hJ9', '/reset/:id'],
    ['/p/sony-wh1000xm5', '/p/sony-wh1000xm5'],
    ['/u/jane%40x.com/x', '/u/:id/x'],
    ['/call/555-123-4567', '/call/:id'],
    ['/ip/10.0.0.1', '/ip/:id'],
    ['/ip/2001:db8::1', '/ip/:id'],
    ['/p/caf%C3%A9', '/p/café'],
    ['/bad/%E2%82/%zz/%', '/bad/\uFFFD/%25zz/%25'],
    ['/a%2Fb/c', '/a%2Fb/c'],
    ['', ''],
    ['/', '/'],
  ])('%j -> %j', (input, expected) => {
    expect(scrubPath(input)).toBe(expected)
  })

  it('keeps at most 512 characters, in whole segments', () => {
    const path = scrubPath(`/${'abcdefgh/'.repeat(100)}`)
    expect(path.length).toBeLessThanOrEqual(512)
    expect(path.endsWith('/abcdefgh/…')).toBe(true)
  })
})

describe('scrubUrl', () => {
  const url = 'https://u:p@Shop.Example.com:8443/orders/123/?q=jane@x.com+pads&b=2&a=x%26y&utm_source=Google'
  const rest = '&utm_medium=CPC&utm_campaign=Spring%20Sale&utm_term=secret&gclid=abc#token=xyz'

  it('keeps host, scrubbed path, kept params sorted, and the utm tags', () => {
    expect(scrubUrl(url + rest, new Set(['q', 'a', 'b']))).toEqual({
      host: 'shop.example.com',
      path: '/orders/:id/?a=x%26y&b=2&q=pads',
      utm: { source: 'google', medium: 'cpc', campaign: 'spring sale' },
    })
  })

  it('omits the query when no parameter is kept', () => {
    expect(scrubUrl('http://shop.example/p/x?session=1', none)?.path).toBe('/p/x')
  })

  it('clips utm values to 128 characters', () => {
    expect(scrubUrl(`https://s.example/?utm_campaign=${'x'.repeat(300)}`, none)?.utm.campaign).toBe(
      'x'.repeat(128),
    )
  })

  it.each(['not a url', 'ftp://shop.example/x', 'javascript:alert(1)', '/relative/path', ''])(
    'rejects %j',
    (raw) => {
      expect(scrubUrl(raw, none)).toBeNull()
    },
  )
})

describe('referrerHost', () => {
  it.each([
    ['https://www.Google.co.uk/search?q=jane@x.com', 'google.co.uk'],
    ['http://user:pw@l.facebook.com:8080/x#y', 'l.facebook.com'],
    ['https://shop.example./', 'shop.example'],
    ['http://10.0.0.1/admin', ''],
    ['http://[::1]:3000/', ''],
    ['android-app://com.google.android.gm/', ''],
    ['garbage', ''],
    ['', ''],
    [undefined, ''],
  ])('%j -> %j', (raw, expected) => {
    expect(referrerHost(raw)).toBe(expected)
  })
})

// --- properties: planted identifiers never come out --------------------------------------------

// A block, not an expression: fast-check would read a returned value as the verdict.
const holds = <T>(values: fc.Arbitrary<T>, check: (value: T) => void) =>
  fc.assert(
    fc.property(values, (value) => {
      check(value)
    }),
    runs,
  )
const glue = fc.constantFrom(
  (v: string) => v,
  (v: string) => `order-${v}`,
  (v: string) => `${v}-details`,
  (v: string) => `${v}.html`,
)

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
