import { isIPv4, isIPv6 } from 'node:net'

/**
 * What the privacy audit looks for in stored strings: anything that reads as an e-mail address,
 * a payment card number (Luhn-valid), a phone number or an IP address. Written apart from the
 * collector's scrubber on purpose: the audit checks the scrubber's output, so it must not share
 * its blind spots. It errs towards reporting; a finding is for a person to look at.
 */

export type Finding = 'email' | 'card' | 'phone' | 'ip'

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u
// Runs of digits, allowing the separators people write numbers with.
const DIGIT_RUN = /\+?\(?\d(?:[\s().-]{0,2}\d)+/g
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const IPV4_CANDIDATE = /\d{1,3}(?:\.\d{1,3}){3}/g
// Not glued to a word on either side, so `std::map` is not an address.
const IPV6_CANDIDATE =
  /(?<![\w.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\d{1,3}(?:\.\d{1,3}){3})?(?![\w.])/g

/** The Luhn checksum that every payment card number satisfies. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return sum % 10 === 0
}

export function looksLikeEmail(value: string): boolean {
  return EMAIL.test(value)
}

export function looksLikeCard(value: string): boolean {
  for (const run of value.matchAll(DIGIT_RUN)) {
    const digits = run[0].replace(/\D/g, '')
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true
  }
  return false
}

/** 7 to 15 digits (E.164 allows 15), written with or without separators; dates are not phones. */
export function looksLikePhone(value: string): boolean {
  for (const run of value.matchAll(DIGIT_RUN)) {
    const text = run[0].trim()
    if (ISO_DATE.test(text) || isIPv4(text)) continue
    const digits = text.replace(/\D/g, '')
    if (digits.length >= 7 && digits.length <= 15) return true
  }
  return false
}

export function looksLikeIp(value: string): boolean {
  for (const match of value.matchAll(IPV4_CANDIDATE)) if (isIPv4(match[0])) return true
  for (const match of value.matchAll(IPV6_CANDIDATE)) {
    // `::` alone names nobody; clock times are not valid addresses and fail isIPv6.
    if (/[0-9A-Fa-f]/.test(match[0]) && isIPv6(match[0])) return true
  }
  return false
}

/** Every kind of identifier `value` seems to hold, card before phone (a card is also a long number). */
export function findIdentifiers(value: string): Finding[] {
  const found: Finding[] = []
  if (looksLikeEmail(value)) found.push('email')
  const card = looksLikeCard(value)
  if (card) found.push('card')
  if (!card && looksLikePhone(value)) found.push('phone')
  if (looksLikeIp(value)) found.push('ip')
  return found
}

/** The shape of a value without its content, for a report that must not repeat what it found. */
export function redact(value: string, max = 40): string {
  const shape = value.replace(/\p{L}/gu, 'x').replace(/\p{N}/gu, '#')
  return shape.length > max ? `${shape.slice(0, max)}…` : shape
}
