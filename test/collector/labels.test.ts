import { describe, expect, it } from 'vitest'
import { cleanLabel, looksPersonal, REDACTED } from '../../collector/labels.ts'

describe('catalogue labels', () => {
  it.each([
    'bp-1',
    '4006381333931',
    'SKU 12345678',
    'brakes',
    'spring-sale-2026',
    'v2',
    '123e4567-e89b-12d3-a456-426614174000',
  ])('keep %s', (label) => {
    expect(cleanLabel(label)).toBe(label)
  })

  it.each([
    'jane@example.com',
    'owner:jane.doe@shop',
    '203.0.113.7',
    'host-2001:db8::1',
    '4111 1111 1111 1111',
    '4111111111111111',
    '36000000000008',
    '4111.1111.1111.1111',
    'id:10.0.0.1',
    'cafe:192.168.1.1',
    '４１１１１１１１１１１１１１１１',
    'jane＠example.com',
  ])('replace %s whole', (label) => {
    expect(looksPersonal(label)).toBe(true)
    expect(cleanLabel(label)).toBe(REDACTED)
  })

  it('keeps a long number that fails the card check', () => {
    expect(cleanLabel('4111111111111112')).toBe('4111111111111112')
  })
})
