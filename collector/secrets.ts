/**
 * Credentials and device addresses in free text: the part of scrubbing that knows what a secret
 * looks like. `scrub.ts` runs it before its other rules, so that a key is removed whole before the
 * digit or token rules could cut it into harmless-looking pieces and leave some of it behind.
 *
 * Two kinds of rule, anchored on public rule sets (Yelp's detect-secrets plugins, gitleaks' rules,
 * Sentry Relay's PII rules):
 * - by context: whatever follows a credential's name (`token`, `api_key`, `password`, `Bearer`...)
 *   and a separator is a credential, whatever its shape, so name, separator and value go together;
 * - by shape: the vendor formats that announce themselves (`sk_live_`, `ghp_`, `xoxb-`, `AKIA`,
 *   JWTs...) and MAC addresses written with dashes or in Cisco's dotted form.
 *
 * Every pattern is compiled once and runs in linear time on hostile input: runs are anchored at
 * their first character by a lookbehind, and no quantified group can match the same text two ways.
 */

// `=`, `:`, `=>` and their percent-encoded forms, with the quotes of JSON or code around them.
const SEPARATOR = String.raw`["']?\s*(?:=>|[:=]|%3[ADad])\s*["']?`
// The value: one run up to the next space, quote or list separator; an authorisation scheme
// (`Bearer`, `Basic`...) in front of it belongs to it.
const SCHEME = String.raw`(?:(?:bearer|basic|token|digest|negotiate)\s+)?`
const VALUE = String.raw`[^\s"'&,;<>()[\]{}]+`

// Names are found first and their values measured from there, each with a sticky pattern: one
// pass over the text, and a value that holds another `name=value` is removed with it.
const NAME_BEFORE_SEPARATOR = new RegExp(String.raw`(?<![\w-])[\w-]+(?=${SEPARATOR})`, 'gu')
// A name is a credential's when one of its words is (`access_token`, `X-Api-Key`, `apiKey`,
// `DB_PASSWORD`), not when the letters only occur inside a word (`pwdarts`, `secretary`).
const CREDENTIAL_WORDS = new Set([
  'bearer',
  'token',
  'apikey',
  'secret',
  'password',
  'passwd',
  'pwd',
  'authorization',
  'credential',
  'credentials',
  'privatekey',
  'accesskey',
  'authkey',
  'sessionkey',
])
const WORD_BREAK = /[^\p{L}\p{N}]+|(?<=\p{Ll})(?=\p{Lu})/u
const isCredentialName = (name: string): boolean => {
  const words = name.split(WORD_BREAK).map((word) => word.toLowerCase())
  return words.some(
    (word, i) => CREDENTIAL_WORDS.has(word) || (word === 'key' && CREDENTIAL_WORDS.has(`${words[i - 1]}key`)),
  )
}
const SEPARATED_VALUE = new RegExp(`${SEPARATOR}${SCHEME}${VALUE}`, 'iuy')

const removeNamedValues = (text: string): string => {
  let kept = ''
  let from = 0
  for (const match of text.matchAll(NAME_BEFORE_SEPARATOR)) {
    if (match.index < from || !isCredentialName(match[0])) continue
    SEPARATED_VALUE.lastIndex = match.index + match[0].length
    if (!SEPARATED_VALUE.test(text)) continue
    kept += text.slice(from, match.index)
    from = SEPARATED_VALUE.lastIndex
  }
  return kept + text.slice(from)
}

// `Bearer` is an authorisation scheme: what follows it is a credential, whatever its shape.
const BEARER = new RegExp(String.raw`(?<![\w-])bearer\s+${VALUE}`, 'giu')
// Other names written with a space only (`password hunter2`): a plain word after them is more
// likely a search (`password reset`, `secret santa`), so it is kept; anything with a digit, a
// symbol or more than one capital is taken for a credential. The name stays: the word after a
// removed value is tested the same way in the next round, and a plain word ends it.
const SPACED_VALUE = new RegExp(
  String.raw`(?<![\w-])(token|api[ _-]?key|apikey|secret|password|passwd)\s+(${VALUE})`,
  'giu',
)
const PLAIN_WORD = /^[\p{Lu}]?[\p{Ll}]+$/u

const BASE64URL = '[A-Za-z0-9_-]'

/** Vendor formats: each either has a prefix no word has, or a structure no word has. */
const SHAPES: readonly RegExp[] = [
  // Stripe secret, restricted and publishable keys; webhook secrets.
  /(?<![\w-])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}/g,
  /(?<![\w-])whsec_[A-Za-z0-9]{16,}/g,
  // GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
  /(?<![\w-])gh[pousr]_[A-Za-z0-9]{16,}/g,
  /(?<![\w-])github_pat_\w{20,}/g,
  // GitLab personal, pipeline-trigger, runner and deploy tokens.
  /(?<![\w-])gl(?:pat|ptt|rt|dt|oas|cbt)-[\w-]{16,}/g,
  // Slack bot, user, app, refresh and configuration tokens; incoming webhooks.
  /(?<![\w-])xox[abprseo]-[A-Za-z0-9-]{10,}/g,
  /(?<![\w-])xapp-\d-[A-Za-z0-9-]{10,}/g,
  /hooks\.slack\.com\/(?:services|workflows|triggers)\/[^\s"'<>]+/gi,
  // Discord webhooks and bot tokens (id.timestamp.hmac, base64url).
  /discord(?:app)?\.com\/api\/webhooks\/[^\s"'<>]+/gi,
  new RegExp(
    String.raw`(?<![\w-])[MNO]${BASE64URL}{23,27}\.${BASE64URL}{6}\.${BASE64URL}{27,40}(?![\w-])`,
    'g',
  ),
  // Telegram bot tokens: the bot's id, a colon, 35 characters beginning `AA`.
  new RegExp(String.raw`(?<!\d)\d{6,12}:AA${BASE64URL}{30,40}`, 'g'),
  // Anthropic, OpenAI (`sk-`, `sk-proj-`, `sk-svcacct-`) keys; the body must mix letters and
  // digits and be long, which keeps names such as `sk-ii-facial-treatment-essence` or `sk-8`.
  /(?<![\w-])sk-(?=[A-Za-z0-9_-]{16})[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*/g,
  // AWS access key ids (gitleaks' prefixes) and, by context, secret access keys.
  /(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9/+])aws[\w-]{0,30}["']?\s*[:=]?\s*["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi,
  // SendGrid, Mailchimp (hex key with its data centre), npm, PyPI, Hugging Face, Shopify, Google.
  new RegExp(String.raw`(?<![\w-])SG\.${BASE64URL}{16,}\.${BASE64URL}{16,}`, 'g'),
  /(?<![0-9a-f])[0-9a-f]{32}-us\d{1,2}(?!\d)/gi,
  /(?<![\w-])npm_[A-Za-z0-9]{30,}/g,
  /(?<![\w-])pypi-AgE[\w-]{20,}/g,
  /(?<![\w-])hf_[A-Za-z]{30,}/g,
  /(?<![\w-])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/g,
  /(?<![\w-])AIza[\w-]{35}/g,
  // JSON Web Tokens: two base64url JSON objects (`{"` encodes as `ey`) and a signature.
  new RegExp(String.raw`(?<![\w-])ey${BASE64URL}{10,}\.ey${BASE64URL}{10,}(?:\.${BASE64URL}*)?`, 'g'),
  // PEM private keys, header to footer (or to the end, if the footer was cut off).
  /-----BEGIN [A-Z ]{0,30}PRIVATE KEY-----(?:[^-]|-(?!----END))*(?:-----END [A-Z ]{0,30}PRIVATE KEY-----)?/g,
  // User and password in a URL written in text.
  /(?<=:\/\/)[^\s/?#@"'<>]+@/g,
]

// MAC addresses with dashes and in Cisco's dotted form (the colon form is scrub.ts's, with IPv6).
// One of digits only is a long number, which the digit rule takes whole with what surrounds it.
const MACS: readonly RegExp[] = [
  /(?<![0-9A-Fa-f-])[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}(?![0-9A-Fa-f-])/g,
  /(?<![0-9A-Fa-f.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Fa-f.])/g,
]
const HEX_LETTER = /[A-Fa-f]/
const dropMac = (mac: string): string => (HEX_LETTER.test(mac) ? '' : mac)

const dropSpaced = (match: string, name: string, value: string): string =>
  PLAIN_WORD.test(value) ? match : name

/**
 * `text` without the credentials and device addresses the rules know. After a separator the
 * credential's name goes with its value (keeping `password=` would make the next round read the
 * following word as its value), so repeated scrubbing reaches a fixed point.
 */
export function removeSecrets(text: string): string {
  let result = removeNamedValues(text).replace(BEARER, '').replace(SPACED_VALUE, dropSpaced)
  for (const shape of SHAPES) result = result.replace(shape, '')
  for (const mac of MACS) result = result.replace(mac, dropMac)
  return result
}

/**
 * Whether a property's name says its value is a credential (`token`, `x-api-key`, `password`):
 * such a value is dropped whatever it looks like, as it would be after `name=` in a URL.
 */
export function isSecretName(name: string): boolean {
  return isCredentialName(name.normalize('NFKC'))
}
