import fc from 'fast-check'
import { expect } from 'vitest'
import type { scrubUrl } from '../../collector/scrub.ts'

/**
 * Generators and checks for the scrubber's tests: identifiers of every kind planted in text, paths
 * and URLs, and what must never come out again.
 */

const runs = { numRuns: 1000 }
export const none: ReadonlySet<string> = new Set()
export const NO_UTM = { source: '', medium: '', campaign: '' }

// --- generators -------------------------------------------------------------------------------

export const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''))

/** Written independently of the code under test, to build and to check card numbers. */
const luhnSum = (number: string) =>
  [...number].reverse().reduce((sum, char, i) => {
    const d = Number(char) * (i % 2 === 1 ? 2 : 1)
    return sum + (d > 9 ? d - 9 : d)
  }, 0)
const withCheckDigit = (body: string) => body + String((10 - (luhnSum(`${body}0`) % 10)) % 10)
export const luhnValid = (number: string) => luhnSum(number) % 10 === 0

export const card = fc
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
export const phone = fc
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
export const KINDS: Record<string, fc.Arbitrary<Planted>> = {
  email: plain(fc.emailAddress()),
  'card number': card.map(({ number, text }) => ({ value: text, forbidden: [text, number] })),
  'phone number': phone.map((text) => ({ value: text, forbidden: [text, text.replace(/\D/g, '')] })),
  IPv4: plain(fc.ipV4()),
  IPv6: plain(anyCase(fc.ipV6())),
  UUID: plain(anyCase(fc.uuid())),
  'hex token': plain(hexToken),
  'base64 token': plain(secretToken),
}

export const word = fc.stringMatching(/^[a-z]{1,10}$/)
export const words = fc.array(word, { maxLength: 5 }).map((w) => w.join(' '))
export const separator = fc.constantFrom(' ', ', ', ' (', ') ', '; ', ': ', ':', '. ', '\n', '\t', ' "', '" ')

// Kept query values are escaped; planted values are ASCII, so this is enough to read them back.
const unescapeQuery = (text: string) =>
  text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

export const outputs = (out: ReturnType<typeof scrubUrl>) =>
  out ? [out.host, out.path, out.utm.source, out.utm.medium, out.utm.campaign] : []

export const expectNoLeak = (fields: string[], planted: Planted) => {
  const views = fields.flatMap((field) => [field, unescapeQuery(field)].map((view) => view.toLowerCase()))
  for (const forbidden of planted.forbidden) {
    for (const view of views) expect(view).not.toContain(forbidden.toLowerCase())
  }
}

// A block, not an expression: fast-check would read a returned value as the verdict.
export const holds = <T>(values: fc.Arbitrary<T>, check: (value: T) => void) =>
  fc.assert(
    fc.property(values, (value) => {
      check(value)
    }),
    runs,
  )
export const glue = fc.constantFrom(
  (v: string) => v,
  (v: string) => `order-${v}`,
  (v: string) => `${v}-details`,
  (v: string) => `${v}.html`,
)
