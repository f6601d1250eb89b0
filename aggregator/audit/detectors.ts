import { isIPv4, isIPv6 } from 'node:net'

/**
 * What the privacy audit looks for in stored strings: anything that reads as an e-mail address,
 * a payment card number (Luhn-valid), a phone number, an IP address, a credential (by its name
 * or by a vendor's key format) or a MAC address. Written apart from the
 * collector's scrubber on purpose: the audit checks the scrubber's output, so it must not share
 * its blind spots. It errs towards reporting; a finding is for a person to look at.
 */

export type Finding = 'email' | 'card' | 'phone' | 'ip' | 'credential' | 'mac'

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

// A credential after its name and a separator (`token=…`, `"api_key": "…"`, `Bearer …`).
const NAMED_CREDENTIAL =
  /(?:token|api[_-]?key|apikey|secret|password|passwd|pwd|authorization)["']?\s*(?:[:=]|%3[ad])\s*["']?[^\s"'&,;]|\bbearer\s+[^\s"'&,;]/i
// Key formats that announce themselves, after gitleaks' rules: Stripe, GitHub, GitLab, Slack,
// OpenAI and Anthropic, AWS ids, SendGrid, npm, PyPI, Hugging Face, Shopify, Google, Mailchimp,
// Telegram, JWTs, PEM private keys and webhook URLs.
const KEY_FORMATS = [
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}/,
  /\bglpat-[\w-]{16,}/,
  /\bxox[abprseo]-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/services\//i,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/,
  /\b(?:AKIA|ASIA)[A-Z2-7]{16}\b/,
  /\bSG\.[\w-]{16,}\.[\w-]{16,}/,
  /\bnpm_[A-Za-z0-9]{30,}|\bpypi-AgE[\w-]{20,}|\bhf_[A-Za-z]{30,}|\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/,
  /\bAIza[\w-]{35}|\b[0-9a-f]{32}-us\d{1,2}\b/,
  /\b\d{6,12}:AA[\w-]{30,}/,
  /\bey[\w-]{10,}\.ey[\w-]{10,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----|discord(?:app)?\.com\/api\/webhooks\//i,
]
// Six hex pairs with colons or dashes, or three hex quads with dots (Cisco).
const MAC =
  /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f:-])|(?<![0-9A-Fa-f.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Fa-f.])/

export function looksLikeCredential(value: string): boolean {
  // Product names such as `sk-ii-…` carry no digit; a key always does.
  return NAMED_CREDENTIAL.test(value) || KEY_FORMATS.some((format) => format.test(value) && /\d/.test(value))
}

export function looksLikeMac(value: string): boolean {
  return MAC.test(value)
}

/** Every kind of identifier `value` seems to hold, card before phone (a card is also a long number). */
export function findIdentifiers(value: string): Finding[] {
  const found: Finding[] = []
  if (looksLikeEmail(value)) found.push('email')
  const card = looksLikeCard(value)
  if (card) found.push('card')
  if (!card && looksLikePhone(value)) found.push('phone')
  if (looksLikeIp(value)) found.push('ip')
  if (looksLikeCredential(value)) found.push('credential')
  if (looksLikeMac(value)) found.push('mac')
  return found
}

/** The shape of a value without its content, for a report that must not repeat what it found. */
export function redact(value: string, max = 40): string {
  const shape = value.replace(/\p{L}/gu, 'x').replace(/\p{N}/gu, '#')
  return shape.length > max ? `${shape.slice(0, max)}…` : shape
}
