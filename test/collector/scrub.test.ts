import { describe, expect, it } from 'vitest'
import { referrerHost, scrubPath, scrubText, scrubUrl } from '../../collector/scrub.ts'
import { none } from './scrub-generators.ts'

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
