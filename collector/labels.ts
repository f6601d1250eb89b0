import { isIP } from 'node:net'
import { removeSecrets } from './secrets.ts'

/**
 * Product ids, categories, offer ids and event names are the site's own catalogue words. Unlike
 * free text they keep their digits (a SKU or an EAN is a long number), but a label that carries
 * an e-mail address, an IP address or a card number was filled from a person, not a catalogue,
 * and is replaced whole; so is one that carries a credential or a MAC address (secrets.ts).
 */
export const REDACTED = ':redacted'

const EMAIL = /[^\s@]+@[^\s@]+/
const IPV4_CANDIDATE = /\d{1,3}(?:\.\d{1,3}){3}/g
// Hex groups and colons, not glued to a word character, so `cafe:` or `id:` before an address
// does not hide it.
const IPV6_CANDIDATE = /(?<![\w])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}/g
// Digits with the separators people write card numbers with; 13 to 19 digits are a card's length.
const DIGIT_RUN = /\d(?:[\s().-]{0,2}\d)+/g

// C0, DEL and C1 controls, the bidi marks, embeddings, overrides and isolates, and the line and
// paragraph separators: none belongs in a catalogue word, and each can make a label read as
// something else (`abc\u202egpj.exe` shows as `abcexe.jpg`) or break a line where it is shown.
export const UNSAFE_CHARS = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu

/** A label as a person reads it: NFKC (full-width forms, ligatures), without unsafe characters. */
export const normalizeLabel = (label: string): string => label.normalize('NFKC').replace(UNSAFE_CHARS, '')

/** A label as stored: normalised, and replaced whole when it carries personal data. */
export function cleanLabel(label: string): string {
  const normal = normalizeLabel(label)
  return looksPersonal(normal) ? REDACTED : normal
}

export function looksPersonal(raw: string): boolean {
  // Full-width digits and `＠` read the same to a person; compare what a person would read.
  const label = raw.normalize('NFKC')
  if (EMAIL.test(label)) return true
  // A credential or a MAC address is no catalogue word either.
  if (removeSecrets(label) !== label) return true
  for (const [candidate] of label.matchAll(IPV4_CANDIDATE)) if (isIP(candidate)) return true
  for (const [candidate] of label.matchAll(IPV6_CANDIDATE)) if (isIP(candidate)) return true
  for (const [run] of label.matchAll(DIGIT_RUN)) {
    const digits = run.replace(/\D/g, '')
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return true
  }
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
