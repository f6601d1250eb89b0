import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classifySource, SOURCES, type Source } from '../../collector/sources.ts'

// `npm run mutate` runs these once per mutant and asks for fewer cases (vitest.mutate.config.ts).
const runs = { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) }
const PAGE = 'shop.example'

const visit = (fields: Partial<Parameters<typeof classifySource>[0]>) =>
  classifySource({ referrerHost: '', pageHost: PAGE, utmSource: '', utmMedium: '', ...fields })

describe('classifySource', () => {
  it.each<[string, Source]>([
    ['google.com', 'search'],
    ['google.co.uk', 'search'],
    ['www.google.de', 'search'],
    ['news.google.com', 'search'],
    ['bing.com', 'search'],
    ['duckduckgo.com', 'search'],
    ['search.yahoo.com', 'search'],
    ['yandex.ru', 'search'],
    ['yandex.com.tr', 'search'],
    ['baidu.com', 'search'],
    ['ecosia.org', 'search'],
    ['qwant.com', 'search'],
    ['search.brave.com', 'search'],
    ['startpage.com', 'search'],
    ['facebook.com', 'social'],
    ['l.facebook.com', 'social'],
    ['m.facebook.com', 'social'],
    ['instagram.com', 'social'],
    ['t.co', 'social'],
    ['twitter.com', 'social'],
    ['x.com', 'social'],
    ['linkedin.com', 'social'],
    ['old.reddit.com', 'social'],
    ['pinterest.com', 'social'],
    ['pinterest.co.uk', 'social'],
    ['tiktok.com', 'social'],
    ['m.youtube.com', 'social'],
    ['youtu.be', 'social'],
    ['mastodon.social', 'social'],
    ['fosstodon.org', 'social'],
    ['bsky.app', 'social'],
    ['mail.google.com', 'email'],
    ['outlook.live.com', 'email'],
    ['mail.yahoo.com', 'email'],
    ['blog.example.org', 'other'],
    ['brave.com', 'other'],
    ['notgoogle.com', 'other'],
    ['google.example.com', 'other'],
    ['at.co', 'other'],
    ['facebook.com.evil.io', 'other'],
  ])('a referrer from %s is %s', (referrerHost, expected) => {
    expect(visit({ referrerHost })).toBe(expected)
  })

  it.each<[string, string, Source]>([
    ['google', 'cpc', 'paid'],
    ['google', 'PPC', 'paid'],
    ['facebook', 'paid_social', 'paid'],
    ['facebook', 'paidsocial', 'paid'],
    ['bing', 'google_cpc', 'paid'],
    ['criteo', 'display', 'paid'],
    ['awin', 'affiliate', 'paid'],
    ['partner', 'affiliates', 'paid'],
    ['network', 'cpm', 'paid'],
    ['newsletter', 'email', 'email'],
    ['spring', 'e-mail', 'email'],
    ['newsletter', '', 'email'],
    ['mailchimp', 'whatever', 'email'],
    ['facebook', '', 'social'],
    ['ig', '', 'social'],
    ['l.instagram.com', '', 'social'],
    ['partner', 'social', 'social'],
    ['partner', 'social-media', 'social'],
    ['google', '', 'search'],
    ['duckduckgo', 'organic', 'search'],
    ['partner', 'referral', 'other'],
    ['podcast', '', 'other'],
  ])('utm_source=%j utm_medium=%j is %s', (utmSource, utmMedium, expected) => {
    expect(visit({ utmSource, utmMedium })).toBe(expected)
  })

  it('is direct without a referrer or tags', () => {
    expect(visit({})).toBe('direct')
  })

  it('treats a link from the site itself as no referrer', () => {
    expect(visit({ referrerHost: PAGE })).toBe('direct')
    expect(visit({ referrerHost: 'shop.example', pageHost: 'www.shop.example' })).toBe('direct')
    expect(visit({ referrerHost: 'Shop.Example.', pageHost: 'shop.example:8443' })).toBe('direct')
    expect(visit({ referrerHost: PAGE, utmMedium: 'email' })).toBe('email')
  })

  it('does not count another subdomain of the site as itself', () => {
    expect(visit({ referrerHost: 'blog.shop.example' })).toBe('other')
  })

  it('lets campaign tags win over the referrer', () => {
    expect(visit({ referrerHost: 'google.com', utmSource: 'google', utmMedium: 'cpc' })).toBe('paid')
    expect(visit({ referrerHost: 'facebook.com', utmMedium: 'email' })).toBe('email')
    expect(visit({ referrerHost: 'google.com', utmSource: 'facebook' })).toBe('social')
  })

  it('puts webmail before search', () => {
    expect(visit({ referrerHost: 'mail.google.com' })).toBe('email')
  })
})

describe('classifySource properties', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 })
  const host = fc.oneof(fc.domain(), text)

  it('always answers with one of SOURCES and never throws', () => {
    fc.assert(
      fc.property(host, host, text, text, (referrerHost, pageHost, utmSource, utmMedium) => {
        expect(SOURCES).toContain(classifySource({ referrerHost, pageHost, utmSource, utmMedium }))
      }),
      runs,
    )
  })

  it('calls every untagged self-referral direct', () => {
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        expect(visit({ referrerHost: domain, pageHost: domain })).toBe('direct')
      }),
      runs,
    )
  })

  it('calls every cpc-tagged visit paid, whatever the referrer', () => {
    fc.assert(
      fc.property(host, text, (referrerHost, utmSource) => {
        expect(visit({ referrerHost, utmSource, utmMedium: 'cpc' })).toBe('paid')
      }),
      runs,
    )
  })

  it('recognises a social network from any of its subdomains', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/)
    const network = fc.constantFrom(
      'facebook.com',
      'instagram.com',
      't.co',
      'reddit.com',
      'tiktok.com',
      'youtube.com',
    )
    fc.assert(
      fc.property(fc.array(label, { maxLength: 3 }), network, (labels, domain) => {
        fc.pre(labels[0] !== 'mail' && labels[0] !== 'webmail' && labels[0] !== 'email')
        expect(visit({ referrerHost: [...labels, domain].join('.') })).toBe('social')
      }),
      runs,
    )
  })
})
