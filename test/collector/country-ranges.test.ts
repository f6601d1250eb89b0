import { BlockList } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isPublicIp } from '../../collector/coarsen.ts'

// The non-public IPv4 ranges as node:net's BlockList judges them: what the arithmetic must agree with.
const reference = new BlockList()
for (const [network, prefix] of [
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
] as const)
  reference.addSubnet(network, prefix, 'ipv4')

describe('public IPv4 addresses by arithmetic', () => {
  it('agrees with node:net BlockList over the whole address space', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isPublicIp(ip)).toBe(!reference.check(ip, 'ipv4'))
      }),
      { numRuns: 20_000 },
    )
  })
})
