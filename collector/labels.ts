import { isIP } from 'node:net'

/**
 * Product ids, categories, offer ids and event names are the site's own catalogue words. Unlike
 * free text they keep their digits (a SKU or an EAN is a long number), but a label that carries
 * an e-mail address, an IP address or a card number was filled from a person, not a catalogue,
 * and is replaced whole.
 */
export const REDACTED = ':redacted'

const EMAIL = /[^\s@]+@[^\s@]+/
const ADDRESS_CANDIDATE = /[0-9A-Fa-f:.]{7,45}/g
const CARD_CANDIDATE = /\d(?:[ -]?\d){14,18}/g

export function cleanLabel(label: string): string {
  return looksPersonal(label) ? REDACTED : label
}

export function looksPersonal(label: string): boolean {
  if (EMAIL.test(label)) return true
  for (const [candidate] of label.matchAll(ADDRESS_CANDIDATE))
    if (isIP(candidate.replace(/\.$/, ''))) return true
  for (const [candidate] of label.matchAll(CARD_CANDIDATE))
    if (luhn(candidate.replace(/\D/g, ''))) return true
  return false
}

function luhn(digits: string): boolean {
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
