import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
// The package is the oracle here only: the collector reads its data files, not its code.
import geoip from 'geoip-country'
import { describe, expect, it } from 'vitest'
import { normalizeIp } from '../../collector/client-ip.ts'
import { createCountryLookup } from '../../collector/coarsen.ts'
import { countryOfAddress, countryTableStats } from '../../collector/country-table.ts'
import { headerRecord } from '../../collector/opt-out.ts'

const dataDir = join(dirname(createRequire(import.meta.url).resolve('geoip-country/package.json')), 'data')
const oracle = (ip: string): string => geoip.lookup(ip)?.country ?? ''

const v4Text = (value: number): string =>
  `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`

/** Top and bottom 64 bits as IPv6 text: all eight groups, or compressed as a URL host writes it. */
const v6Text = (top: bigint, bottom: bigint, compressed: boolean): string => {
  const full = ((top << 64n) | bottom)
    .toString(16)
    .padStart(32, '0')
    .replace(/(.{4})(?!$)/g, '$1:')
  return compressed
    ? new URL(`http://[${full}]/`).hostname.slice(1, -1)
    : full.replace(/\b0+(?=[0-9a-f])/g, '')
}

const MAX64 = (1n << 64n) - 1n

/** The addresses as normalizeIp writes them, each with what the table and the package answer. */
const disagreements = (raw: Iterable<string>) => {
  let compared = 0
  let placed = 0
  const differ: Array<{ ip: string; table: string; package: string }> = []
  for (const ip of raw) {
    const normal = normalizeIp(ip)
    const table = countryOfAddress(normal)
    const expected = oracle(normal)
    compared++
    if (table !== '') placed++
    if (normal === '' || (table !== expected && differ.length < 10))
      differ.push({ ip: normal, table, package: expected })
  }
  return { compared, placed, differ }
}

function* randomV4(count: number): Generator<string> {
  const bytes = randomBytes(count * 4)
  for (let i = 0; i < count; i++) yield v4Text(bytes.readUInt32BE(i * 4))
}

// Uniform addresses land mostly where nothing is allocated, so half begin within the data's span.
function* randomV6(count: number): Generator<string> {
  const bytes = randomBytes(count * 16)
  for (let i = 0; i < count; i++) {
    let top = bytes.readBigUInt64BE(i * 16)
    if (i % 2 === 1) top = ((0x2000n + ((top >> 48n) % 0xc10n)) << 48n) | (top & 0xffff_ffff_ffffn)
    yield v6Text(top, bytes.readBigUInt64BE(i * 16 + 8), i % 4 < 2)
  }
}

/** Each `step`-th record's start and end and the addresses either side of it. */
function* recordEdges(step: number): Generator<string> {
  const v4 = readFileSync(join(dataDir, 'geoip-country.dat'))
  for (let at = 0; at < v4.length; at += 10 * step) {
    const start = v4.readUInt32BE(at)
    const end = v4.readUInt32BE(at + 4)
    for (const value of [start - 1, start, end, end + 1])
      if (value >= 0 && value <= 0xffffffff) yield v4Text(value)
  }
  const v6 = readFileSync(join(dataDir, 'geoip-country6.dat'))
  const bottoms = randomBytes(8 * 4 * Math.ceil(v6.length / 18 / step))
  for (let at = 0, n = 0; at < v6.length; at += 18 * step, n++) {
    const start = v6.readBigUInt64BE(at)
    const end = v6.readBigUInt64BE(at + 8)
    const tops = [start - 1n, start, start, end, end, end + 1n]
    const bottom = [
      MAX64,
      0n,
      bottoms.readBigUInt64BE(n * 32),
      bottoms.readBigUInt64BE(n * 32 + 8),
      MAX64,
      0n,
    ]
    for (const [k, top] of tops.entries())
      if (top >= 0n && top <= MAX64) yield v6Text(top, bottom[k] ?? 0n, (n + k) % 2 === 0)
  }
}

describe('the packed country table', () => {
  it('answers as geoip-country does for random addresses and at the edges of its ranges', () => {
    const random = disagreements([...randomV4(100_000), ...randomV6(60_000)])
    const edges = disagreements(recordEdges(10))
    expect(random.differ).toEqual([])
    expect(edges.differ).toEqual([])
    expect(random.compared + edges.compared).toBeGreaterThan(200_000)
    // Most of both sets are placed somewhere; some edges fall in the gaps between ranges.
    expect(random.placed).toBeGreaterThan(random.compared / 4)
    expect(edges.placed).toBeGreaterThan(edges.compared / 2)
    expect(edges.placed).toBeLessThan(edges.compared)
  })

  it('places IPv4-mapped IPv6 as the IPv4 address, whichever way it is written', () => {
    const differ: string[] = []
    for (const ip of randomV4(10_000)) {
      const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number)
      const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
      const expected = oracle(ip)
      // normalizeIp turns the dotted spellings into the IPv4 address; the package reads them as such too.
      for (const raw of [`::ffff:${ip}`, `::FFFF:${ip}`, `0:0:0:0:0:ffff:${ip}`]) {
        if (normalizeIp(raw) !== ip || oracle(raw) !== expected) differ.push(raw)
        if (countryOfAddress(normalizeIp(raw)) !== expected) differ.push(raw)
      }
      // The hexadecimal spelling stays IPv6 text; the package mistakes its tail for dotted decimal.
      const mapped = normalizeIp(`::ffff:${hex}`)
      if (mapped !== `::ffff:${hex}` || countryOfAddress(mapped) !== expected) differ.push(mapped)
    }
    expect(differ.slice(0, 10)).toEqual([])
  })

  it('places known addresses, and private ones nowhere through the collector', () => {
    expect(countryOfAddress('8.8.8.8')).toBe('US')
    expect(countryOfAddress('2001:4860:4860::8888')).toBe('US')
    expect(countryOfAddress('81.2.69.142')).toBe('GB')
    expect(countryOfAddress('::ffff:808:808')).toBe('US')
    const lookup = createCountryLookup({ trustProxy: false })
    const none = headerRecord({})
    expect(lookup('8.8.8.8', none)).toBe('US')
    for (const ip of [
      '10.1.2.3',
      '192.168.1.1',
      '172.16.5.4',
      '127.0.0.1',
      '::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ])
      expect(lookup(ip, none)).toBe('')
  })

  it('answers nothing for text that is not an address', () => {
    for (const text of [
      '',
      'x',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1:2:3',
      ':::',
      '1::2::3',
      'g::1',
    ])
      expect(countryOfAddress(text)).toBe('')
  })

  it('holds both files in under 6 MB of typed arrays', () => {
    const stats = countryTableStats()
    expect(stats.v4Entries).toBeGreaterThan(readFileSync(join(dataDir, 'geoip-country.dat')).length / 10)
    expect(stats.v6Entries).toBeGreaterThan(readFileSync(join(dataDir, 'geoip-country6.dat')).length / 18)
    expect(stats.countries).toBeGreaterThan(200)
    // Four bytes of start and one of country per IPv4 entry, eight and one per IPv6 entry.
    expect(stats.bytes).toBe(stats.v4Entries * 5 + stats.v6Entries * 9)
    expect(stats.bytes).toBeLessThan(6 * 1024 * 1024)
  })
})
