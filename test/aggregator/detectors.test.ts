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

describe('credential and MAC detectors', () => {
  const key = (prefix: string, n: number) => `${prefix}${'a1B2c3D4e5'.repeat(10).slice(0, n)}`
  it.each([
    ['q=shoes&token=abc', ['credential']],
    ['{"api_key": "x"}', ['credential']],
    ['Authorization: Bearer ABC', ['credential']],
    [key('sk_live_', 24), ['credential']],
    [key('ghp_', 36), ['credential']],
    [key('glpat-', 20), ['credential']],
    [key('xoxb-', 30), ['credential']],
    [key('sk-ant-api03-', 40), ['credential']],
    ['AKIAABCDEFGHIJ234567', ['credential']],
    [`SG.${key('', 22)}.${key('', 43)}`, ['credential']],
    [`eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.${key('', 20)}`, ['credential']],
    [key('npm_', 36), ['credential']],
    ['00-1A-2B-3C-4D-5E', ['mac']],
    ['a4:5e:60:e8:1f:0b', ['mac']],
    ['001a.2b3c.4d5e', ['mac']],
  ])('find %s', (value, kinds) => {
    expect(findIdentifiers(value)).toEqual(kinds)
  })

  it.each([
    'password reset',
    'secret santa',
    'sk-ii-facial-treatment-essence',
    'token',
    'bearer',
    'AKIA',
    'v1.2.3',
    'cafe.babe',
    '12:30:45',
  ])('leave %s alone', (value) => {
    expect(findIdentifiers(value)).toEqual([])
  })
})
