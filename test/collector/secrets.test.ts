import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cleanLabel, REDACTED } from '../../collector/labels.ts'
import { scrubPath, scrubText } from '../../collector/scrub.ts'
import { isSecretName, removeSecrets } from '../../collector/secrets.ts'

/**
 * The credential corpus: positives modelled on the fixtures of detect-secrets' plugins, gitleaks'
 * rules and Relay's PII rules (each planted in a sentence, as a search term or property would
 * carry it), and near-misses that must come out unchanged. Bodies are derived from a hash of a
 * name, so they look random but the corpus is the same on every run.
 */

const ALPHABETS = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  base32: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-',
  base64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  lower: 'abcdefghijklmnopqrstuvwxyz',
} as const

const body = (seed: string, length: number, alphabet: keyof typeof ALPHABETS = 'alnum'): string => {
  const chars = ALPHABETS[alphabet]
  let out = ''
  for (let round = 0; out.length < length; round++) {
    for (const byte of createHash('sha256').update(`${seed}/${round}`).digest()) {
      if (out.length < length) out += chars[byte % chars.length]
    }
  }
  return out
}

const jwt = (seed: string) =>
  [
    Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url'),
    Buffer.from(`{"sub":"${body(seed, 8, 'hex')}","iat":1700000000}`).toString('base64url'),
    body(`${seed}-sig`, 43, 'base64url'),
  ].join('.')

/** [kind, the secret, the text it is planted in]: the secret must not come out again. */
const secret = (kind: string, value: string, around = (v: string) => `find ${v} here`) =>
  [kind, value, around(value)] as const

const POSITIVES: ReadonlyArray<readonly [string, string, string]> = [
  // By context: the value after a credential's name, whatever its shape.
  secret('bearer short', 'abc', (v) => `Authorization: Bearer ${v}`),
  secret('bearer all caps', 'ABCDEF123456', (v) => `bearer ${v} please`),
  secret('bearer lower', 'hunter', (v) => `Bearer ${v}`),
  secret('bearer base64', body('b64', 28, 'base64'), (v) => `header Bearer ${v}= done`),
  secret('token=', 'XYZ', (v) => `shoes token=${v}`),
  secret('token:', 'abc', (v) => `token: ${v}`),
  secret('access_token url', 'short1', (v) => `/cb?access_token=${v}&x=1`),
  secret('refresh_token json', 'Zz9', (v) => `{"refresh_token":"${v}"}`),
  secret('api_key', 'k1', (v) => `api_key=${v}`),
  secret('api-key', 'KEYKEY', (v) => `x api-key: ${v}`),
  secret('apikey', 'simple', (v) => `apikey=${v} shoes`),
  secret('x-api-key header', body('xapi', 24), (v) => `X-Api-Key: ${v}`),
  secret('secret', 'mysecretvalue', (v) => `secret=${v}`),
  secret('client_secret', 'Sh0rt', (v) => `client_secret: "${v}"`),
  secret('password=', 'hunter2', (v) => `password=${v}`),
  secret('password spaced', 'hunter2', (v) => `password ${v}`),
  secret('PASSWORD env', 'P@ss', (v) => `DB_PASSWORD=${v}`),
  secret('passwd', 'letmein', (v) => `passwd: ${v}`),
  secret('pwd', 'qwerty', (v) => `login?user=x&pwd=${v}`),
  secret('authorization basic', 'dXNlcjpwYXNz', (v) => `authorization: Basic ${v}`),
  secret('authorization encoded', 'abc', (v) => `authorization%3D${v}`),
  secret('auth ruby hash', 'tok', (v) => `"password" => "${v}"`),
  secret('private_key', 'pk123', (v) => `private_key=${v}`),
  secret('token spaced', 'a1b2c3', (v) => `my token ${v}`),
  // Stripe.
  secret('stripe secret', `sk_live_${body('stripe', 24)}`),
  secret('stripe restricted', `rk_live_${body('stripe-rk', 24)}`),
  secret('stripe test', `sk_test_${body('stripe-test', 24)}`),
  secret('stripe webhook', `whsec_${body('whsec', 32)}`),
  // GitHub.
  secret('github pat', `ghp_${body('ghp', 36)}`),
  secret('github oauth', `gho_${body('gho', 36)}`),
  secret('github app', `ghs_${body('ghs', 36)}`),
  secret('github refresh', `ghr_${body('ghr', 36)}`),
  secret('github fine-grained', `github_pat_${body('ghfg', 22)}_${body('ghfg2', 59)}`),
  // GitLab.
  secret('gitlab pat', `glpat-${body('glpat', 20, 'base64url')}`),
  secret('gitlab trigger', `glptt-${body('glptt', 40, 'hex')}`),
  // Slack.
  secret(
    'slack bot',
    `xoxb-${body('sb1', 11, 'hex').replace(/\D/g, '7')}-${body('sb2', 13, 'hex').replace(/\D/g, '3')}-${body('sb3', 24)}`,
  ),
  secret('slack user', `xoxp-1234567890-1234567890-${body('sp', 32, 'hex')}`),
  secret('slack app', `xapp-1-A0123456789-1234567890123-${body('sa', 64, 'hex')}`),
  secret('slack webhook', `https://hooks.slack.com/services/T0000000/B0000000/${body('sw', 24)}`),
  // OpenAI and Anthropic.
  secret('openai', `sk-${body('oa', 48)}`),
  secret('openai project', `sk-proj-${body('oap', 64, 'base64url')}`),
  secret('anthropic', `sk-ant-api03-${body('ant', 93, 'base64url')}AA`),
  secret('anthropic short', `sk-ant-${body('ant2', 24)}`),
  // AWS.
  secret('aws access key', `AKIA${body('akia', 16, 'base32')}`),
  secret('aws session key', `ASIA${body('asia', 16, 'base32')}`),
  secret('aws secret (context)', body('awss', 40, 'base64'), (v) => `aws_secret_access_key = ${v}`),
  secret('aws secret (shape)', body('awss2', 40, 'base64'), (v) => `aws ${v}`),
  // SendGrid, JWTs, Telegram, Discord, Mailchimp, npm and friends.
  secret('sendgrid', `SG.${body('sg1', 22, 'base64url')}.${body('sg2', 43, 'base64url')}`),
  secret('jwt', jwt('jwt1')),
  secret('jwt in url', jwt('jwt2'), (v) => `https://shop.example/reset#${v}`),
  secret('telegram', `123456789:AA${body('tg', 33, 'base64url')}`),
  secret(
    'discord bot',
    `MTA${body('dc1', 23, 'base64url')}.${body('dc2', 6, 'base64url')}.${body('dc3', 38, 'base64url')}`,
  ),
  secret(
    'discord webhook',
    `https://discord.com/api/webhooks/123456789012345678/${body('dw', 68, 'base64url')}`,
  ),
  secret('mailchimp', `${body('mc', 32, 'hex')}-us14`),
  secret('npm', `npm_${body('npm', 36)}`),
  secret('pypi', `pypi-AgEIcHlwaS5vcmc${body('pypi', 50, 'base64url')}`),
  secret('hugging face', `hf_${body('hf', 34, 'lower')}`),
  secret('shopify', `shpat_${body('shp', 32, 'hex')}`),
  secret('google api', `AIza${body('gapi', 35, 'base64url')}`),
  secret(
    'pem private key',
    `-----BEGIN RSA PRIVATE KEY-----\n${body('pem', 64, 'base64')}\n-----END RSA PRIVATE KEY-----`,
  ),
  secret('url credentials', 'shopper:s3cret', (v) => `see ftp://${v}@files.example.com/x`),
  // MAC addresses: colons, dashes, Cisco dots.
  secret('mac colons', '00:1a:2b:3c:4d:5e'),
  secret('mac colons upper', 'A4:5E:60:E8:1F:0B'),
  secret('mac dashes', '00-1A-2B-3C-4D-5E'),
  secret('mac dashes lower', 'a4-5e-60-e8-1f-0b'),
  secret('mac cisco', '001a.2b3c.4d5e'),
  secret('mac cisco upper', 'A45E.60E8.1F0B'),
  secret('mac digits only', '0012.3456.7890'),
  secret('mac dashes digits only', '00-12-34-56-78-90'),
]

/** Text that must come out of scrubbing exactly as it went in. */
const NEAR_MISSES: readonly string[] = [
  'password reset',
  'forgot password',
  'secret santa gift ideas',
  'Victoria Secret perfume',
  'token ring network card',
  'api key generator tutorial',
  'bearer bonds',
  'authorization letter template',
  'sk-ii-facial-treatment-essence',
  'sk8 board',
  'skateboard sk-8',
  'ghost costume',
  'gh_pages theme',
  'glpat',
  'xox hugs and kisses',
  'AKIA',
  'asian pears',
  'SG.12 sizing guide',
  'eye cream',
  'eyeliner.eyeshadow',
  'npm install help',
  'hf radio',
  'shopify theme',
  'AIza',
  'nike air max 270',
  'iphone 15 pro max 256gb',
  'samsung galaxy s24 ultra',
  'sony wh-1000xm5',
  'size 42 eu',
  'v2.3.1 release notes',
  'version 1.2.3.4',
  'node 24.1.0',
  'SKU-1234-AB',
  'AB-12-CD',
  'ref A-10-20-30',
  'lego 10497',
  'rtx 4090',
  'usb-c to hdmi 2.1',
  'meet at 12:30:45',
  '12-10 kitchen timer',
  'cafe.babe',
  'face.book.club',
  'deadbeef cafe',
  'summer-sale-2024-collection',
  'gift card 50',
  'water bottle 1.5l',
  'vitamin b12 1000mcg',
  'x-large t-shirt',
  'tokens of appreciation',
  'secretary desk',
  'the password is love',
  'passport holder',
  'authentic leather bag',
  'credit limit',
  'private label coffee',
  'access point wifi 6',
  'keyboard: mechanical',
  'colour: navy blue',
  'size=xl',
  'q=running shoes',
  'apple ipad air 5th gen',
  'ps5 controller',
  'macbook pro m3',
  'mac mini',
  'mac lipstick ruby woo',
  'aa batteries 24 pack',
  'ISO 9001',
  'h&m jeans',
  'tickets: 2 adults',
]

describe('the credential corpus', () => {
  const removed = POSITIVES.filter(([, value, text]) => !scrubText(text).includes(value))
  const kept = NEAR_MISSES.filter((text) => scrubText(text) === text)

  it('removes at least 95 % of the planted credentials and MAC addresses', () => {
    const missed = POSITIVES.filter((positive) => !removed.includes(positive)).map(([kind]) => kind)
    expect(POSITIVES.length).toBeGreaterThanOrEqual(60)
    expect(removed.length / POSITIVES.length, `missed: ${missed.join(', ')}`).toBeGreaterThanOrEqual(0.95)
  })

  it('keeps at least 95 % of the near-misses unchanged', () => {
    const changed = NEAR_MISSES.filter((text) => !kept.includes(text)).map((text) => [text, scrubText(text)])
    expect(NEAR_MISSES.length).toBeGreaterThanOrEqual(60)
    expect(kept.length / NEAR_MISSES.length, `changed: ${JSON.stringify(changed)}`).toBeGreaterThanOrEqual(
      0.95,
    )
  })

  it('turns a path segment holding a key of a known shape into :id', () => {
    // The shapes, not the values found by their context: `abc` alone is no credential.
    const shapes = POSITIVES.filter(([, value, text]) => text === `find ${value} here`)
    expect(shapes.length).toBeGreaterThanOrEqual(30)
    const leaked = shapes
      .map(([kind, value]) => [kind, scrubPath(`/p/${encodeURIComponent(value)}/x`)] as const)
      .filter(([, path]) => path !== '/p/:id/x')
      .map(([kind]) => kind)
    expect(leaked.length, `kept in a path: ${leaked.join(', ')}`).toBeLessThanOrEqual(shapes.length * 0.05)
  })
})

describe('removeSecrets', () => {
  it.each([
    ['Authorization: Bearer abc next', ' next'],
    ['a token=abc&b=1', 'a &b=1'],
    ['{"api_key": "x", "size": "m"}', '{"", "size": "m"}'],
    ['cb?redirect=https://a/?token=abc&x=1', 'cb?redirect=https://a/?&x=1'],
    ['password hunter2', 'password'],
    ['password reset', 'password reset'],
    ['accessToken=abc&apiKey: def', '&'],
    ['pwdarts: 0000000', 'pwdarts: 0000000'],
    ['secretary: jane', 'secretary: jane'],
  ])('%j -> %j', (input, expected) => {
    expect(removeSecrets(input)).toBe(expected)
  })

  it('reaches a fixed point through scrubText: the next word is not taken for a value', () => {
    expect(scrubText('token: abc shoes red')).toBe('shoes red')
    expect(scrubText(scrubText('token: abc shoes red'))).toBe('shoes red')
  })

  it('runs in linear time on hostile input', () => {
    const hostile = [
      'token'.repeat(20_000),
      `${'a-'.repeat(20_000)}=`,
      `sk-${'a'.repeat(50_000)}`,
      `${'ab:'.repeat(20_000)}`,
      `-----BEGIN PRIVATE KEY-----${'-'.repeat(50_000)}`,
      `${'eyJhbGciOi.'.repeat(5_000)}`,
    ]
    const started = performance.now()
    for (const text of hostile) removeSecrets(text)
    // Quadratic work on 100k characters takes seconds; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('labels and property names', () => {
  it('redacts a label that carries a credential or a MAC address, keeps SKUs', () => {
    expect(cleanLabel(`ghp_${body('label', 36)}`)).toBe(REDACTED)
    expect(cleanLabel('00-1A-2B-3C-4D-5E')).toBe(REDACTED)
    expect(cleanLabel('token=abc')).toBe(REDACTED)
    expect(cleanLabel('SKU-1234-AB')).toBe('SKU-1234-AB')
    expect(cleanLabel('sk-ii-essence')).toBe('sk-ii-essence')
  })

  it.each([
    ['token', true],
    ['X-Api-Key', true],
    ['db_password', true],
    ['Authorization', true],
    ['colour', false],
    ['size', false],
    ['plan', false],
  ])('isSecretName(%j) is %j', (name, expected) => {
    expect(isSecretName(name)).toBe(expected)
  })
})
