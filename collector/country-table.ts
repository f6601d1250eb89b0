import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * The country of an address, from the data files of the `geoip-country` package (GeoLite2) but not
 * its code, which holds both files whole in Buffers (8.1 MB, with `countries-list` and a file
 * watcher beside them) and builds a BigInt per IPv6 lookup. Here a range is its start and a one-byte
 * index into the distinct country codes; the gaps between ranges are entries of their own, of "no
 * country", so no end is stored: the last entry at or below an address answers for it. 4.7 MB.
 *
 * The files: IPv4 records of 10 bytes (start, end: u32 big-endian; two ASCII letters), IPv6 records
 * of 18 (the top 64 bits of start and end, u64 big-endian; the letters), sorted, not overlapping.
 * They are read from the package's `data/` folder (the package itself also honours GEOIP_DATADIR).
 *
 * Loaded on the first lookup, not at import: a collector behind a proxy that sends the country
 * (`cf-ipcountry`, …) never needs the table, nor do the tools and tests that import coarsen.ts for
 * other reasons. That lookup takes about 0.1 s (reading 8 MB, and code not yet optimised).
 */

/** Ranges as entries: where each begins (one or two 32-bit words) and its index into the codes. */
type Packed = { starts: Uint32Array; countries: Uint8Array }
/** IPv6 entries begin at the top 64 bits of an address, as high and low words. Codes[0] is ''. */
type Table = { v4: Packed; v6: Packed; codes: string[] }

const dataDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('geoip-country/package.json')), 'data')

const put = (out: Packed, words: 1 | 2, entry: number, hi: number, lo: number, country: number) => {
  if (words === 2) out.starts[entry * 2] = hi
  out.starts[entry * words + words - 1] = lo
  out.countries[entry] = country
}

/**
 * Walks one file's records (`words`: an address's width in 32-bit words), adding a gap entry before
 * each record that does not begin where the one before ended, and one after the last; writes the
 * entries into `out` when given, and returns how many there are. New country codes join `codes`.
 */
function walk(view: DataView, words: 1 | 2, codes: string[], codeIndex: Uint8Array, out?: Packed): number {
  const size = words * 8 + 2
  if (view.byteLength % size !== 0) throw new Error(`geoip data: ${view.byteLength} bytes is not n × ${size}`)
  let entries = 0
  // The first address after the ranges so far; `full` once they reach the last address.
  let nextHi = 0
  let nextLo = 0
  let full = false
  for (let at = 0; at < view.byteLength; at += size) {
    const startHi = words === 2 ? view.getUint32(at) : 0
    const startLo = view.getUint32(at + words * 4 - 4)
    const endHi = words === 2 ? view.getUint32(at + 8) : 0
    const endLo = view.getUint32(at + words * 8 - 4)
    const disorder = full || startHi < nextHi || (startHi === nextHi && startLo < nextLo)
    if (disorder || endHi < startHi || (endHi === startHi && endLo < startLo))
      throw new Error('geoip data: ranges out of order or empty')
    if (startHi !== nextHi || startLo !== nextLo) {
      if (out) put(out, words, entries, nextHi, nextLo, 0)
      entries++
    }
    const code = view.getUint16(at + words * 8)
    if (codeIndex[code] === 0) {
      if (codes.length > 255) throw new Error('geoip data: more than 255 countries')
      codeIndex[code] = codes.push(String.fromCharCode(code >> 8, code & 0xff)) - 1
    }
    if (out) put(out, words, entries, startHi, startLo, codeIndex[code] ?? 0)
    entries++
    full = endLo === 0xffffffff && (words === 1 || endHi === 0xffffffff)
    nextLo = (endLo + 1) >>> 0
    nextHi = words === 2 && nextLo === 0 ? endHi + 1 : endHi
  }
  if (!full && out) put(out, words, entries, nextHi, nextLo, 0)
  return full ? entries : entries + 1
}

/** One file as entries: counted first, so that the arrays are allocated once, at their size. */
function pack(file: Buffer, words: 1 | 2, codes: string[], codeIndex: Uint8Array): Packed {
  const view = new DataView(file.buffer, file.byteOffset, file.length)
  const entries = walk(view, words, codes, codeIndex)
  const out = { starts: new Uint32Array(entries * words), countries: new Uint8Array(entries) }
  walk(view, words, codes, codeIndex, out)
  return out
}

function load(): Table {
  const dir = dataDir()
  const codes = ['']
  const codeIndex = new Uint8Array(0x10000)
  const v4 = pack(readFileSync(join(dir, 'geoip-country.dat')), 1, codes, codeIndex)
  return { v4, v6: pack(readFileSync(join(dir, 'geoip-country6.dat')), 2, codes, codeIndex), codes }
}

let table: Table | undefined
const loaded = (): Table => {
  table ??= load()
  return table
}

/** Dotted decimal from `from` to `to` as an unsigned number, or -1 when it is not one. */
function parseV4(ip: string, from: number, to: number): number {
  let value = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = from; i < to; i++) {
    const code = ip.charCodeAt(i)
    if (code === 46) {
      if (digits === 0 || ++dots > 3) return -1
      value = value * 256 + part
      part = 0
      digits = 0
    } else if (code >= 48 && code <= 57 && digits < 3) {
      part = part * 10 + code - 48
      digits++
    } else return -1
    if (part > 255) return -1
  }
  return digits === 0 || dots !== 3 ? -1 : value * 256 + part
}

const hexDigit = (code: number): number => {
  if (code >= 48 && code <= 57) return code - 48
  const lower = code | 32
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}

// The eight 16-bit groups of the IPv6 address being looked up; reused, so a lookup allocates nothing.
const groups = new Uint16Array(8)

/** Groups `at` and `at + 1` as one unsigned 32-bit number. */
const groupPair = (at: number): number => (((groups[at] ?? 0) << 16) | (groups[at + 1] ?? 0)) >>> 0

/** IPv6 text (`::` once at most, a dotted tail allowed) into `groups`; false when it is not one. */
function parseV6(ip: string): boolean {
  let count = 0
  let gap = -1
  let i = 0
  if (ip.charCodeAt(0) === 58 && ip.charCodeAt(1) === 58) {
    gap = 0
    i = 2
  }
  while (i < ip.length) {
    const from = i
    let value = 0
    for (let digit = hexDigit(ip.charCodeAt(i)); digit >= 0; digit = hexDigit(ip.charCodeAt(++i)))
      value = value * 16 + digit
    if (ip.charCodeAt(i) === 46) {
      const v4 = count <= 6 ? parseV4(ip, from, ip.length) : -1
      if (v4 < 0) return false
      groups[count++] = v4 >>> 16
      groups[count++] = v4 & 0xffff
      break
    }
    if (i === from || i - from > 4 || count === 8) return false
    groups[count++] = value
    if (i === ip.length) break
    if (ip.charCodeAt(i++) !== 58 || i === ip.length) return false
    if (ip.charCodeAt(i) === 58) {
      if (gap >= 0) return false
      gap = count
      i++
    }
  }
  if (gap < 0) return count === 8
  if (count > 7) return false
  const shift = 8 - count
  for (let k = count - 1; k >= gap; k--) groups[k + shift] = groups[k] ?? 0
  groups.fill(0, gap, gap + shift)
  return true
}

/** The last entry that begins at or below the address: entry 0 begins at 0, so there is one. */
function search({ starts }: Packed, words: 1 | 2, hi: number, lo: number): number {
  let low = 0
  let high = starts.length / words - 1
  while (low < high) {
    const mid = (low + high + 1) >>> 1
    const first = starts[mid * words] ?? 0
    if (words === 1 ? first <= lo : first < hi || (first === hi && (starts[mid * 2 + 1] ?? 0) <= lo))
      low = mid
    else high = mid - 1
  }
  return low
}

/**
 * The two-letter country of an address as normalizeIp writes it (dotted IPv4, or IPv6 text), or ''
 * when the data places it nowhere or it is not an address. IPv4-mapped IPv6 (`::ffff:0:0/96`) in
 * any spelling is looked up as the IPv4 address it carries.
 */
export function countryOfAddress(ip: string): string {
  const { v4, v6, codes } = loaded()
  let address: number
  if (!ip.includes(':')) address = parseV4(ip, 0, ip.length)
  else if (!parseV6(ip)) return ''
  else {
    const hi = groupPair(0)
    const lo = groupPair(2)
    if (hi !== 0 || lo !== 0 || groups[4] !== 0 || groups[5] !== 0xffff)
      return codes[v6.countries[search(v6, 2, hi, lo)] ?? 0] ?? ''
    address = groupPair(6)
  }
  return address < 0 ? '' : (codes[v4.countries[search(v4, 1, 0, address)] ?? 0] ?? '')
}

/** Entries and bytes of the table (loading it if need be). */
export function countryTableStats() {
  const { v4, v6, codes } = loaded()
  const bytes =
    v4.starts.byteLength + v4.countries.byteLength + v6.starts.byteLength + v6.countries.byteLength
  return {
    v4Entries: v4.countries.length,
    v6Entries: v6.countries.length,
    countries: codes.length - 1,
    bytes,
  }
}
