import { BlockList } from 'node:net'
import UAParser from 'ua-parser-js'
import { normalizeIp } from './client-ip.ts'
import { countryOfAddress } from './country-table.ts'
import { createKeyedMemory } from './keyed-memory.ts'
import type { HeaderReader } from './opt-out.ts'

export type UaClass = { browser: string; os: string; device: 'desktop' | 'mobile' | 'tablet' | 'other' }

/**
 * The part of a ua-parser-js result the classifier reads. `browser.type` is not set by the 1.x
 * parser; a caller whose parser does report it ('inapp') gets it honoured.
 */
export type ParsedUa = {
  browser: { name?: string | undefined; type?: string | undefined }
  os: { name?: string | undefined }
  device: { type?: string | undefined }
}

/*
 * Families are deliberately few: every extra value splits the rollups into groups that fall
 * under the k threshold sooner, and a rare browser name is itself a quasi-identifier.
 */
const BROWSER_FAMILY: Record<string, string> = {
  Chrome: 'Chrome',
  'Mobile Chrome': 'Chrome',
  Chromium: 'Chrome',
  Safari: 'Safari',
  'Mobile Safari': 'Safari',
  Firefox: 'Firefox',
  'Mobile Firefox': 'Firefox',
  'Firefox Focus': 'Firefox',
  Fennec: 'Firefox',
  Edge: 'Edge',
  'Samsung Internet': 'Samsung Internet',
  Yandex: 'Yandex',
  UCBrowser: 'UC Browser',
}

/*
 * Browsers embedded in another app (social, messaging, search, shopping apps and bare Android
 * WebViews). ua-parser-js 1.x names them without marking them as such; their names are many and
 * rare, so they share one bucket.
 */
const IN_APP_BROWSERS = new Set([
  'Alipay',
  'Chrome WebView',
  'Daum',
  'Facebook',
  'GSA',
  'Instagram',
  'KakaoStory',
  'KakaoTalk',
  'Klarna',
  'Line',
  'LinkedIn',
  'Naver',
  'Snapchat',
  'TikTok',
  'Twitter',
  'WeChat',
  'Weibo',
])

const OS_FAMILY: Record<string, string> = {
  Windows: 'Windows',
  'Windows RT': 'Windows',
  macOS: 'macOS',
  'Mac OS': 'macOS',
  iOS: 'iOS',
  Android: 'Android',
  'Android-x86': 'Android',
  'Android x86': 'Android',
  'Chrome OS': 'Chrome OS',
  'Chromium OS': 'Chrome OS',
}

// ua-parser-js reports distributions by name; to a storefront they are all desktop Linux.
const LINUX_DISTROS = new Set([
  'Linux',
  'Arch',
  'CentOS',
  'Debian',
  'Deepin',
  'elementary OS',
  'Fedora',
  'Gentoo',
  'GNU',
  'Kubuntu',
  'Manjaro',
  'Mint',
  'openSUSE',
  'Red Hat',
  'RedHat',
  'SUSE',
  'Ubuntu',
  'Xubuntu',
])

/*
 * Many names come straight from the user-agent text, so their case is whatever the sender wrote
 * ('NAVER', 'line', 'KAKAOTALK'); lookups ignore it.
 */
const byLowerCase = (table: Record<string, string>): Map<string, string> =>
  new Map(Object.entries(table).map(([name, family]) => [name.toLowerCase(), family]))
const lowerCased = (names: Set<string>): Set<string> => new Set([...names].map((name) => name.toLowerCase()))

const BROWSER_FAMILY_LOWER = byLowerCase(BROWSER_FAMILY)
const IN_APP_LOWER = lowerCased(IN_APP_BROWSERS)
const OS_FAMILY_LOWER = byLowerCase(OS_FAMILY)
const LINUX_DISTROS_LOWER = lowerCased(LINUX_DISTROS)

const browserFamily = (browser: ParsedUa['browser']): string => {
  const name = browser.name?.toLowerCase() ?? ''
  if (browser.type === 'inapp' || IN_APP_LOWER.has(name)) return 'In-App'
  if (name.startsWith('opera')) return 'Opera'
  return BROWSER_FAMILY_LOWER.get(name) ?? 'Other'
}

const osFamily = (name: string | undefined): string => {
  if (name === undefined) return 'Other'
  const lower = name.toLowerCase()
  if (LINUX_DISTROS_LOWER.has(lower)) return 'Linux'
  return OS_FAMILY_LOWER.get(lower) ?? 'Other'
}

const deviceClass = (type: string | undefined): UaClass['device'] => {
  if (type === undefined) return 'desktop'
  if (type === 'mobile' || type === 'tablet') return type
  return 'other'
}

/** Coarse classes from one parse; exported for callers that parse elsewhere. */
export const classifyParsed = (parsed: ParsedUa): UaClass => ({
  browser: browserFamily(parsed.browser),
  os: osFamily(parsed.os.name),
  device: deviceClass(parsed.device.type),
})

// ua-parser-js reads only this many characters, so longer strings share its answer and a cache key.
const UA_MAX_LENGTH = 500

/**
 * A memoised user-agent classifier. Regex-heavy parsing per request would dominate the collector's
 * CPU, while real traffic repeats a few hundred user agents; the LRU bound keeps junk UAs from
 * growing memory, and the memory is keyed by a keyed hash of the user agent (keyed-memory.ts), so
 * it holds no user agent.
 */
export const createUaClassifier = (
  options: { cacheSize?: number; parse?: (ua: string) => ParsedUa } = {},
): ((ua: string) => UaClass) => {
  const { cacheSize = 1000, parse = (ua: string) => new UAParser(ua).getResult() } = options
  if (!Number.isInteger(cacheSize) || cacheSize < 1)
    throw new RangeError('cacheSize must be a positive integer')
  const memory = createKeyedMemory<UaClass>(cacheSize)
  // Frozen because the same object is handed to every later caller with this user agent.
  const derive = (ua: string): UaClass => Object.freeze(classifyParsed(parse(ua)))
  return (ua) => memory.get(ua.slice(0, UA_MAX_LENGTH), derive)
}

// Addresses that never geolocate; checked here so the answer does not depend on the data release.
const NON_PUBLIC_V4: ReadonlyArray<readonly [network: number, mask: number]> = (
  [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 3],
  ] as const
).map(([network, prefix]) => {
  // The prefix as a mask: an address is in the range when its masked bits are the network's.
  const mask = (0xffffffff << (32 - prefix)) >>> 0
  return [(ipv4Number(network) & mask) >>> 0, mask] as const
})
const NON_PUBLIC_V6 = new BlockList()
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['2001:db8::', 32],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC_V6.addSubnet(network, prefix, 'ipv6')
}

/** A dotted IPv4 address (as normalizeIp leaves it) as an unsigned 32-bit number. */
function ipv4Number(ip: string): number {
  let value = 0
  let part = 0
  for (let i = 0; i < ip.length; i++) {
    const code = ip.charCodeAt(i)
    if (code === 46) {
      value = value * 256 + part
      part = 0
    } else part = part * 10 + (code - 48)
  }
  return value * 256 + part
}

// IPv4 by arithmetic: BlockList.check builds a SocketAddress per call, which cost more than the
// rest of the country lookup.
const isPublicNormal = (ip: string): boolean => {
  if (ip === '') return false
  if (ip.includes(':')) return !NON_PUBLIC_V6.check(ip, 'ipv6')
  const value = ipv4Number(ip)
  for (const [network, mask] of NON_PUBLIC_V4) if ((value & mask) >>> 0 === network) return false
  return true
}

export const isPublicIp = (ip: string): boolean => isPublicNormal(normalizeIp(ip))

const PROXY_COUNTRY_HEADERS = ['cf-ipcountry', 'x-country-code', 'cloudfront-viewer-country']
// 'XX' is Cloudflare's "unknown"; 'T1' (Tor) fails the letters-only test.
const COUNTRY_CODE = /^[A-Z]{2}$/

const proxyCountry = (headers: HeaderReader): string => {
  for (const name of PROXY_COUNTRY_HEADERS) {
    const code = headers.get(name)?.trim().toUpperCase()
    if (code && COUNTRY_CODE.test(code) && code !== 'XX') return code
  }
  return ''
}

const countryOf = (ip: string): string => {
  const normal = normalizeIp(ip)
  if (!isPublicNormal(normal)) return ''
  const country = countryOfAddress(normal)
  return COUNTRY_CODE.test(country) ? country : ''
}

/**
 * ISO 3166-1 alpha-2 country of a visitor, or '' when unknown. The address itself goes no further
 * than this lookup. A proxy's country header is believed only when the proxy is trusted, since any
 * client can send one. Answers from the database are remembered (`cacheSize` addresses, the least
 * recently used forgotten first) under a keyed hash of the address, never the address itself
 * (keyed-memory.ts): a visitor's later events skip the range search.
 */
export const createCountryLookup = (options: {
  trustProxy: boolean
  cacheSize?: number
}): ((ip: string, headers: HeaderReader) => string) => {
  const { trustProxy, cacheSize = 20_000 } = options
  const memory = createKeyedMemory<string>(cacheSize)
  return (ip, headers) => {
    if (trustProxy) {
      const fromProxy = proxyCountry(headers)
      if (fromProxy) return fromProxy
    }
    return memory.get(ip, countryOf)
  }
}
