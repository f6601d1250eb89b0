import { normalizeLabel, UNSAFE_CHARS } from './labels.ts'

/**
 * Scrubbing of every string that comes from a visitor's browser: page URLs, referrers, search
 * queries, campaign tags. Whatever could identify a person is removed before anything else reads
 * the string, so no later step has to be trusted with it.
 *
 * The rules err towards removing too much: a lost search word costs a little insight, a kept
 * phone number breaks the privacy promise. Every regex is compiled once, here, and written so that
 * it runs in linear time on hostile input (this runs on every request).
 */

import { removeSecrets } from './secrets.ts'

export type ScrubbedUrl = {
  host: string
  path: string
  utm: { source: string; medium: string; campaign: string }
}

const MAX_PATH = 512
const MAX_UTM = 128
const MAX_PARAM = 128

// Local parts are matched liberally (RFC 5322 allows `/`, `?`, `%`, `{`...); the lookbehind starts a
// match only at the beginning of a run, which keeps the scan linear. The domain needs no dot: a
// typo such as `jane@gmail` still names Jane.
const EMAIL = /(?<![^\s@<>()[\]\\,;:"])[^\s@<>()[\]\\,;:"]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*/gu
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
// A whole run of hex digits, colons and dots that contains a colon; `dropAddress` decides. Clock
// times (`12:30:45`) survive because no part of them is a valid address.
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:.])[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*/g
const IPV4 = /\d{1,3}(?:\.\d{1,3}){3}/g
const IPV4_EXACT = /^\d{1,3}(?:\.\d{1,3}){3}$/
// All eight groups, or `left` groups, `::` (at least one zero group) and at most `7 - left` more.
const HEX_GROUP = '[0-9A-Fa-f]{1,4}'
const IPV6_FORMS = [`${HEX_GROUP}(?::${HEX_GROUP}){7}`]
for (let left = 0; left <= 7; left++) {
  const before = left === 0 ? '' : `${HEX_GROUP}(?::${HEX_GROUP}){${left - 1}}`
  const after = left === 7 ? '' : `(?:${HEX_GROUP}(?::${HEX_GROUP}){0,${6 - left}})?`
  IPV6_FORMS.push(`${before}::${after}`)
}
const IPV6_EXACT = new RegExp(`^(?:${IPV6_FORMS.join('|')})$`)
const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
const MAX_IPV6 = 45
const MAX_RUN_COLONS = 16
const HEX_TOKEN = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{16,}/g
const TOKEN_CANDIDATE = /(?<![\w+/=-])[\w+/=-]{20,}/g
// Card numbers are a special case of this rule: 13–19 digits are at least 7, so a card goes whether
// or not its check digit is valid, and so does any long order, account or tracking number.
const DIGIT_RUN = /\+?\(?\p{Nd}(?:[\s().\-_]{0,3}\p{Nd})+/gu
const DIGIT = /\p{Nd}/gu
const MIN_PHONE_DIGITS = 7
const WHITESPACE = /\s+/g
const ALNUM_PIECES = /[^A-Za-z0-9]+/
const HAS_LETTER = /\p{L}/u
const HAS_DIGIT = /\p{N}/u
const HEX_LETTER = /[a-f]/i
const ASCII_LETTER = /[A-Za-z]/
const ASCII_DIGIT = /[0-9]/

const isIPv6 = (candidate: string): boolean => {
  let text = candidate
  if (text.includes('.')) {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
    const cut = text.lastIndexOf(':')
    if (!IPV4_EXACT.test(text.slice(cut + 1))) return false
    text = `${text.slice(0, cut + 1)}0:0`
  }
  return IPV6_EXACT.test(text)
}

// The address may be glued to neighbours (`ip:fe80::1`, `ipv6:2001:…`, `…:0:1:443` with a port), so
// groups may be cut off at either end. A run with more colons than any address has is
// not text anyone wants to keep.
const containsIPv6 = (run: string): boolean => {
  const colons = run.split(':').length - 1
  if (colons > MAX_RUN_COLONS) return true
  // Without `::` an address has all eight groups (six and an IPv4 tail): times and ratios are turned
  // away cheaply here.
  if (colons < 2 || (colons < 6 && !run.includes('::'))) return false
  // Any window between colons may be the address (`a:b:c:d:2001:db8::1:e:f:1` holds one in its
  // middle); a window starts at the run's start or at/after a colon and ends likewise. At most 16
  // colons make this a bounded number of short checks per run.
  const cuts = [0, run.length]
  for (let i = run.indexOf(':'); i >= 0; i = run.indexOf(':', i + 1)) cuts.push(i, i + 1)
  return cuts.some((start) =>
    cuts.some((end) => end - start >= 2 && end - start <= MAX_IPV6 && isIPv6(run.slice(start, end))),
  )
}

// MAC addresses are no IP, but they name one device just as well.
const dropAddress = (run: string): string => {
  // A sentence may end right after an address: its full stop is not part of it.
  const body = run.replace(/\.+$/, '')
  return MAC.test(body) || containsIPv6(body) ? run.slice(body.length) : run
}

const mixesLettersAndDigits = (text: string) => ASCII_LETTER.test(text) && ASCII_DIGIT.test(text)

// A slug such as `summer-sale-2024` is made of the same characters as a token, but its pieces are
// words or numbers; a token has a long piece in which letters and digits are mixed.
const dropToken = (run: string): string =>
  run.split(ALNUM_PIECES).some((piece) => piece.length >= 5 && mixesLettersAndDigits(piece)) ? '' : run

// Digits alone are left to the digit rule, which also takes the `+44` or `(` in front of them.
const dropHexToken = (run: string): string => (HEX_LETTER.test(run) ? '' : run)

const dropLongNumber = (run: string): string =>
  (run.match(DIGIT)?.length ?? 0) >= MIN_PHONE_DIGITS ? '' : run

/**
 * Removes every identifier the rules know, leaving the rest of the text untouched. Order matters:
 * credentials go first, whole (secrets.ts), and whole tokens go before the digit rule could cut them into harmless-looking pieces, and long
 * numbers go before the IPv4 rule could take four groups of a dotted phone number and leave the rest.
 */
const removeIdentifiers = (text: string): string =>
  removeSecrets(text)
    .replace(EMAIL, '')
    .replace(UUID, '')
    .replace(IPV6_CANDIDATE, dropAddress)
    .replace(HEX_TOKEN, dropHexToken)
    .replace(TOKEN_CANDIDATE, dropToken)
    .replace(DIGIT_RUN, dropLongNumber)
    .replace(IPV4, '')

// Controls and bidi overrides part words as a space would, and never reach storage.
const scrubOnce = (text: string): string =>
  removeIdentifiers(text.normalize('NFKC').replace(UNSAFE_CHARS, ' ')).replace(WHITESPACE, ' ').trim()

/**
 * Removes credentials and MAC addresses (secrets.ts), e-mail addresses, card and phone numbers (any
 * run of 7+ digits), IP addresses, UUIDs and long hex or base64-like tokens, then collapses
 * whitespace. What is left of a search query is kept.
 */
export function scrubText(input: string): string {
  // Full-width and other compatibility forms (`０９０`, `＠`) would slip past ASCII patterns.
  // Removing one match can join its neighbours into a new one (`555  a@b.c  1234`), so repeat until
  // nothing changes: each round that changes anything makes the text shorter, so this ends, and
  // the result is a fixed point, which makes scrubbing idempotent.
  let current = input
  for (;;) {
    const next = scrubOnce(current)
    if (next === current) return current
    current = next
  }
}

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const PATH_RESERVED = /[%/?#]/g
const NOT_ALNUM = /[^\p{L}\p{N}]+/u
const DIGITS_ONLY = /^\p{Nd}+$/u
const HEX_ONLY = /^[0-9A-Fa-f]+$/
const UTF8 = new TextDecoder()

// Malformed UTF-8 becomes U+FFFD instead of throwing, as `decodeURIComponent` would.
const decodeSegment = (segment: string): string =>
  segment.replace(PERCENT_RUN, (run) => {
    const bytes = new Uint8Array(run.length / 3)
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16)
    return UTF8.decode(bytes)
  })

// Only what would change the meaning of the path is encoded again, so that scrubbing a scrubbed
// path decodes to the same segments and the dashboard shows readable names.
const encodeSegment = (segment: string): string =>
  segment.replace(PATH_RESERVED, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)

const isIdToken = (token: string): boolean =>
  (token.length >= 8 && HEX_ONLY.test(token) && HAS_DIGIT.test(token)) ||
  (token.length >= 12 && HAS_LETTER.test(token) && HAS_DIGIT.test(token))

const isIdSegment = (decoded: string): boolean => {
  const text = decoded.normalize('NFKC')
  if (DIGITS_ONLY.test(text)) return true
  if (text.split(NOT_ALNUM).some(isIdToken)) return true
  return removeIdentifiers(text) !== text
}

const scrubSegment = (segment: string): string => {
  const decoded = normalizeLabel(decodeSegment(segment))
  return isIdSegment(decoded) ? ':id' : encodeSegment(decoded)
}

/**
 * Replaces every path segment that looks like an identifier with `:id`, so `/orders/12345/items`
 * becomes `/orders/:id/items`; other segments are kept, percent-decoded.
 */
export function scrubPath(pathname: string): string {
  const kept: string[] = []
  let length = -1
  for (const segment of pathname.split('/')) {
    const scrubbed = scrubSegment(segment)
    if (length + 1 + scrubbed.length > MAX_PATH) {
      // Whole segments only: a cut one could turn into something else when scrubbed again.
      if (length + 2 <= MAX_PATH) kept.push('…')
      break
    }
    kept.push(scrubbed)
    length += 1 + scrubbed.length
  }
  return kept.join('/')
}

const clip = (text: string, max: number): string => {
  if (text.length <= max) return text
  return text
    .slice(0, max)
    .replace(/[\uD800-\uDBFF]$/, '')
    .trim()
}

const QUERY_RESERVED = /[%&=#+]/g
const encodeQuery = (text: string): string =>
  text.replace(QUERY_RESERVED, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)

const UTM_FIELDS = { utm_source: 'source', utm_medium: 'medium', utm_campaign: 'campaign' } as const

/** One campaign tag as the aggregates keep it: scrubbed, lower-cased, at most 128 characters. */
export const scrubUtm = (value: string): string => clip(scrubText(value).toLowerCase(), MAX_UTM)

type UtmTags = { source?: string | undefined; medium?: string | undefined; campaign?: string | undefined }

/** Campaign tags sent alongside an event (the tab's landing campaign), treated as a URL's are. */
export function scrubUtmTags(tags: UtmTags = {}): ScrubbedUrl['utm'] {
  const { source, medium, campaign } = tags
  return {
    source: source ? scrubUtm(source) : '',
    medium: medium ? scrubUtm(medium) : '',
    campaign: campaign ? scrubUtm(campaign) : '',
  }
}

const parseHttpUrl = (raw: string): URL | null => {
  try {
    const url = new URL(raw)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

const bareHost = (url: URL): string => url.hostname.toLowerCase().replace(/\.$/, '')

/**
 * Reduces a page URL to what the aggregates need: the host, the scrubbed path with only the
 * allowed query parameters (scrubbed, sorted by name) and the three UTM tags. Credentials, the
 * fragment and every other parameter are dropped. `null` when it is not an http(s) URL.
 */
export function scrubUrl(raw: string, keepParams: ReadonlySet<string>): ScrubbedUrl | null {
  const url = parseHttpUrl(raw)
  if (!url) return null
  const utm = { source: '', medium: '', campaign: '' }
  const params: [string, string][] = []
  for (const [name, value] of url.searchParams) {
    const lower = name.toLowerCase()
    if (lower.startsWith('utm_')) {
      const field = UTM_FIELDS[lower as keyof typeof UTM_FIELDS]
      // A repeated tag keeps its first value: the one the link was built with.
      if (field && utm[field] === '') utm[field] = scrubUtm(value)
    } else if (keepParams.has(name)) {
      params.push([name, clip(scrubText(value), MAX_PARAM)])
    }
  }
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const query = params.map(([name, value]) => `${encodeQuery(name)}=${encodeQuery(value)}`).join('&')
  const path = scrubPath(url.pathname)
  return { host: bareHost(url), path: query ? `${path}?${query}` : path, utm }
}

/**
 * The host of a referrer, without `www.`, port or credentials; `''` when there is none we can use.
 * An IP literal is dropped too: it may be the visitor's own network or device.
 */
export function referrerHost(raw: string | undefined): string {
  if (!raw) return ''
  const url = parseHttpUrl(raw.trim())
  if (!url) return ''
  const host = bareHost(url)
  if (host.startsWith('[') || IPV4_EXACT.test(host)) return ''
  return host.startsWith('www.') ? host.slice(4) : host
}
