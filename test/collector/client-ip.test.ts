import { describe, expect, it } from 'vitest'
import { clientIp, normalizeIp } from '../../collector/client-ip.ts'
import { headerRecord } from '../../collector/opt-out.ts'

const none = headerRecord({})

describe('clientIp', () => {
  it('uses the socket address when the proxy is not trusted, ignoring forwarding headers', () => {
    const headers = headerRecord({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.10' })
    expect(clientIp('198.51.100.7', headers, false)).toBe('198.51.100.7')
  })

  it('takes the right-most X-Forwarded-For entry behind a trusted proxy', () => {
    const headers = new Headers({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.9 ' })
    expect(clientIp('10.0.0.2', headers, true)).toBe('203.0.113.9')
    expect(clientIp('10.0.0.2', headerRecord({ 'x-forwarded-for': '203.0.113.9' }), true)).toBe('203.0.113.9')
  })

  it('ignores a forged left-most X-Forwarded-For entry sent by the client', () => {
    // The client sent `X-Forwarded-For: 8.8.8.8`; the proxy appended the address it really saw.
    const headers = headerRecord({ 'x-forwarded-for': '8.8.8.8, 203.0.113.9', 'x-real-ip': '8.8.8.8' })
    expect(clientIp('10.0.0.2', headers, true)).toBe('203.0.113.9')
  })

  it('gives no address when the right-most entry is unusable, never one to its left', () => {
    for (const forwarded of [
      '5.5.5.5, garbage',
      '5.5.5.5, ',
      '198.51.100.1, 203.0.113.9 , unknown',
      'garbage',
    ]) {
      const headers = headerRecord({ 'x-forwarded-for': forwarded, 'x-real-ip': '8.8.4.4' })
      expect(clientIp('10.0.0.2', headers, true), forwarded).toBe('')
    }
  })

  it('without X-Forwarded-For falls back to X-Real-IP, then to the socket', () => {
    expect(clientIp('10.0.0.2', headerRecord({ 'x-real-ip': '8.8.4.4' }), true)).toBe('8.8.4.4')
    expect(clientIp('10.0.0.2', headerRecord({ 'x-real-ip': 'nope' }), true)).toBe('10.0.0.2')
  })

  it('strips the IPv4-mapped IPv6 prefix', () => {
    expect(clientIp('::ffff:192.0.2.1', none, false)).toBe('192.0.2.1')
    expect(clientIp('::FFFF:192.0.2.1', none, false)).toBe('192.0.2.1')
    expect(clientIp('10.0.0.1', headerRecord({ 'x-forwarded-for': '::ffff:8.8.8.8' }), true)).toBe('8.8.8.8')
  })

  it("gives '' when nothing is known", () => {
    expect(clientIp(undefined, none, false)).toBe('')
    expect(clientIp(undefined, none, true)).toBe('')
    expect(clientIp('not-an-ip', none, false)).toBe('')
  })
})

describe('normalizeIp', () => {
  it.each([
    ['8.8.8.8', '8.8.8.8'],
    [' 8.8.8.8 ', '8.8.8.8'],
    ['8.8.8.8:443', '8.8.8.8'],
    ['[2001:DB8::1]:8443', '2001:db8::1'],
    ['2001:4860:4860::8888', '2001:4860:4860::8888'],
    ['fe80::1%eth0', 'fe80::1'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1', '::1'],
    ['256.1.1.1', ''],
    ['1.2.3', ''],
    ['unknown', ''],
    ['', ''],
    [undefined, ''],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected)
  })
})
