import { describe, expect, it } from 'vitest'
import { findIdentifiers, luhnValid, redact } from '../../aggregator/audit/detectors.ts'

describe('identifier detectors', () => {
  it('check card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('79927398713')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
  })

  it.each([
    ['/u/jane.doe@example.com', ['email']],
    ['contact: JANE+shop@mail.example.co.uk', ['email']],
    ['card 4111 1111 1111 1111', ['card']],
    ['5500-0000-0000-0004', ['card']],
    ['call +49 30 1234567', ['phone']],
    ['(030) 123-4567', ['phone']],
    ['from 203.0.113.7', ['ip']],
    ['/x/2001:db8::8a2e:370:7334', ['ip']],
    ['fe80::1', ['ip']],
  ])('find %s', (value, kinds) => {
    expect(findIdentifiers(value)).toEqual(kinds)
  })

  it.each([
    '/p/:id',
    'brake pads',
    '10:00:00',
    'std::map',
    '2026-11-20',
    'bp-1',
    'device=mobile|country=DE|source=*|category=brakes',
    'order 4111111111111112',
    '39.90 EUR',
  ])('leave %s alone', (value) => {
    // A 16-digit number that fails Luhn is longer than any phone number: nothing to report.
    expect(findIdentifiers(value)).toEqual([])
  })

  it('report a shape, never the value', () => {
    expect(redact('jane.doe@example.com')).toBe('xxxx.xxx@xxxxxxx.xxx')
    expect(redact('4111 1111')).toBe('#### ####')
  })
})
