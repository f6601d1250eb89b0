import fc from 'fast-check'
import { EVENT_TYPES } from '../../schemas/events.ts'
import { CHROME_UA } from '../support/http.ts'

/**
 * What the fuzzer sends to the collector: events that are almost valid, prototype-polluting keys,
 * deep nesting, huge strings and batches, odd methods, paths, content types and headers.
 */

export const ORIGIN = 'http://localhost:8787'

/** One request: method, path, headers and body (none for GET and HEAD). */
export type Probe = { method: string; path: string; headers: Record<string, string>; body?: Buffer }

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']
const key = fc.oneof(
  fc.constantFrom(...POLLUTION_KEYS, 'type', 'site', 'url', 'events', 'props'),
  fc.string(),
)
const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...EVENT_TYPES, 'demo', `${ORIGIN}/p/x`, 'EUR', ''),
)
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value

/** Events that are nearly right: a real type and site, then anything in any field. */
export const almostEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...EVENT_TYPES), scalar),
    site: fc.oneof(fc.constant('demo'), scalar),
    url: fc.oneof(fc.constant(`${ORIGIN}/p/brake-pads?email=a@b.c`), fc.webUrl(), scalar),
    referrer: value,
    product: value,
    order: value,
    search: value,
    offer: value,
    name: value,
    props: value,
    prev: value,
  },
  { requiredKeys: ['type', 'site', 'url'] },
)

/** JSON text with the given keys, written by hand so `__proto__` stays a plain key. */
const withKeys = (entries: Array<[string, string]>) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`
export const protoEvent = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.constantFrom('{"polluted":"yes"}', '[1,2]', '"x"', 'null'))
  .map(([k, v]) =>
    withKeys([
      [k, v],
      ['type', '"custom"'],
      ['site', '"demo"'],
      ['url', JSON.stringify(`${ORIGIN}/p`)],
      ['name', '"signup"'],
      [
        'props',
        withKeys([
          [k, '"1"'],
          ['plan', '"pro"'],
        ]),
      ],
    ]),
  )

const deep = fc
  .tuple(fc.integer({ min: 100, max: 30_000 }), fc.constantFrom('array', 'object', 'events'))
  .map(([depth, kind]) =>
    kind === 'array'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : kind === 'object'
        ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
        : `{"events":[${'{"props":'.repeat(Math.min(depth, 10_000))}1${'}'.repeat(Math.min(depth, 10_000))}]}`,
  )

const huge = fc
  .tuple(fc.integer({ min: 1_000, max: 70_000 }), fc.constantFrom('url', 'site', 'name', 'referrer', 'type'))
  .map(([size, field]) =>
    JSON.stringify({
      type: 'pageview',
      site: 'demo',
      url: `${ORIGIN}/`,
      [field]: `${ORIGIN}/${'a'.repeat(size)}`,
    }),
  )

const tooMany = fc.integer({ min: 51, max: 400 }).map((n) =>
  JSON.stringify({
    events: Array.from({ length: n }, () => ({ type: 'pageview', site: 'demo', url: ORIGIN })),
  }),
)

const bodyText = fc.oneof(
  fc.json(),
  almostEvent.map((event) => JSON.stringify(event)),
  fc.array(almostEvent, { minLength: 1, maxLength: 60 }).map((events) => JSON.stringify({ events })),
  value.map((v) => JSON.stringify(v) ?? 'undefined'),
  protoEvent,
  deep,
  huge,
  tooMany,
  // Valid events, whole and cut short.
  fc.tuple(fc.integer({ min: 0, max: 200 }), fc.boolean()).map(([cut, whole]) => {
    const text = JSON.stringify({ type: 'pageview', site: 'demo', url: `${ORIGIN}/fuzz/ok` })
    return whole ? text : text.slice(0, cut % text.length)
  }),
  fc.string({ maxLength: 300 }),
)

const body = fc.oneof(
  { weight: 6, arbitrary: bodyText.map((text) => Buffer.from(text, 'utf8')) },
  // Invalid UTF-8: random bytes, and JSON with a bad sequence inside a string.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3_000 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf0, 0x28, 0x8c, 0x28])
      .map((bad) =>
        Buffer.concat([
          Buffer.from(`{"type":"search","site":"demo","url":"${ORIGIN}/s","search":{"query":"`),
          Buffer.from(bad),
          Buffer.from('","results":1}}'),
        ]),
      ),
  },
)

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,200}$/)
const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
      ),
      headerValue,
    ),
    'user-agent': fc.oneof(fc.constant(CHROME_UA), fc.constant(CHROME_UA), headerValue),
    origin: fc.oneof(fc.constant(ORIGIN), headerValue),
    'x-forwarded-for': headerValue,
    'sec-gpc': fc.constantFrom('1', '0', 'yes'),
    'cf-ipcountry': headerValue,
    authorization: headerValue,
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity'),
  },
  { requiredKeys: ['content-type', 'user-agent'] },
)

const path = fc.oneof(
  { weight: 8, arbitrary: fc.constant('/api/event') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/api/event?x=1',
      '/api/event/',
      '/API/EVENT',
      '/metrics',
      '/healthz',
      '/beacon.js',
      '/.well-known/gpc.json',
      '/demo-shop',
      '/',
      '/%zz',
      '/..%2f..%2fetc/passwd',
      '/api/stats/overview',
      '/api/v1/products',
    ),
  },
  { weight: 1, arbitrary: fc.webPath().map((p) => p || '/') },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 8_000 }).map((n) => `/api/event?${'q'.repeat(n)}`) },
)

export const probe: fc.Arbitrary<Probe> = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('POST') },
      { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD') },
    ),
    path,
    headers,
    body,
  })
  .map((p) => (p.method === 'GET' || p.method === 'HEAD' ? { ...p, body: undefined } : p))
