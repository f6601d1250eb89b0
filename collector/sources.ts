/**
 * Where a visit came from, as one coarse class. Only the class and the referrer's host are kept,
 * never the referring URL.
 */

import type { Source } from '../schemas/constants.ts'

export { SOURCES, type Source } from '../schemas/constants.ts'

export type SourceInput = { referrerHost: string; pageHost: string; utmSource: string; utmMedium: string }

// Campaign media are free text chosen by marketers; these are the spellings that are common enough
// to recognise, matched per word so that `google_cpc` or `paid-social` count too.
const PAID_WORDS = new Set([
  'cpc',
  'ppc',
  'cpm',
  'cpv',
  'cpa',
  'cpp',
  'sem',
  'display',
  'banner',
  'retargeting',
  'remarketing',
  'adwords',
])
const PAID_PREFIXES = ['paid', 'affiliat']
const EMAIL_TAG = /e-?mail|newsletter|mailchimp|klaviyo|mailerlite|sendinblue|^gmail$/
const WORDS = /[^a-z0-9]+/

// Hosts are matched with all their subdomains: `l.facebook.com`, `m.youtube.com`, `old.reddit.com`.
const SOCIAL_HOSTS = [
  'facebook.com',
  'fb.com',
  'fb.me',
  'messenger.com',
  'instagram.com',
  'threads.net',
  'threads.com',
  'twitter.com',
  't.co',
  'x.com',
  'linkedin.com',
  'lnkd.in',
  'xing.com',
  'reddit.com',
  'redd.it',
  'pin.it',
  'tiktok.com',
  'youtube.com',
  'youtu.be',
  'snapchat.com',
  'tumblr.com',
  'bsky.app',
  'vk.com',
  'weibo.com',
  'quora.com',
  'discord.com',
  'whatsapp.com',
  'wa.me',
  't.me',
  'line.me',
  'news.ycombinator.com',
  'mas.to',
  'hachyderm.io',
  'infosec.exchange',
]
// Mastodon has thousands of servers; most carry the name in a label (`mastodon.social`, `fosstodon.org`).
const FEDIVERSE_LABEL = /(?:^|\.)[a-z0-9-]*(?:todon|mstdn)[a-z0-9-]*\./
// Pinterest and the big engines run one site per country: `google.co.uk`, `yandex.com.tr`.
const SOCIAL_BRANDS = /(?:^|\.)pinterest\.(?:[a-z]{2,3}\.)?[a-z]{2,}$/
const SEARCH_BRANDS = /(?:^|\.)(?:google|yahoo|yandex|bing|baidu|naver|seznam)\.(?:[a-z]{2,3}\.)?[a-z]{2,}$/
const SEARCH_HOSTS = [
  'duckduckgo.com',
  'duck.com',
  'ecosia.org',
  'qwant.com',
  'search.brave.com',
  'startpage.com',
  'ask.com',
  'search.aol.com',
  'kagi.com',
  'sogou.com',
  'so.com',
  'daum.net',
]
// Webmail is checked before search: `mail.google.com` is an e-mail, not a Google search.
const WEBMAIL_HOSTS = ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com']
const WEBMAIL_LABEL = /^(?:mail|webmail|email)\./

const SOCIAL_NAMES = new Set([
  'facebook',
  'fb',
  'instagram',
  'ig',
  'threads',
  'twitter',
  'x',
  'linkedin',
  'xing',
  'reddit',
  'pinterest',
  'tiktok',
  'youtube',
  'snapchat',
  'tumblr',
  'bluesky',
  'mastodon',
  'vk',
  'weibo',
  'quora',
  'discord',
  'whatsapp',
  'telegram',
])
const SEARCH_NAMES = new Set([
  'google',
  'bing',
  'duckduckgo',
  'yahoo',
  'yandex',
  'baidu',
  'ecosia',
  'qwant',
  'brave',
  'startpage',
  'naver',
  'seznam',
  'kagi',
])

const onHost = (host: string, domains: readonly string[]) =>
  host !== '' && domains.some((domain) => host === domain || host.endsWith(`.${domain}`))

const bare = (host: string) =>
  host
    .trim()
    .toLowerCase()
    .replace(/:\d*$/, '')
    .replace(/\.$/, '')
    .replace(/^www\./, '')

const isPaid = (medium: string) =>
  medium
    .split(WORDS)
    .some((word) => PAID_WORDS.has(word) || PAID_PREFIXES.some((prefix) => word.startsWith(prefix)))

const isWebmail = (host: string) => WEBMAIL_LABEL.test(host) || onHost(host, WEBMAIL_HOSTS)

const isSocialHost = (host: string) =>
  onHost(host, SOCIAL_HOSTS) || SOCIAL_BRANDS.test(host) || FEDIVERSE_LABEL.test(host)

const isSearchHost = (host: string) => SEARCH_BRANDS.test(host) || onHost(host, SEARCH_HOSTS)

// A tag may name the network (`facebook`) or give its host (`l.facebook.com`).
const tagIs = (tag: string, names: ReadonlySet<string>, isHost: (host: string) => boolean) =>
  tag !== '' && (names.has(tag) || (tag.includes('.') && isHost(bare(tag))))

/**
 * Classifies a visit. Campaign tags win over the referrer because they were set on purpose (and
 * apps often send no referrer); a link from the site itself counts as no referrer at all.
 */
export function classifySource(input: SourceInput): Source {
  const medium = input.utmMedium.trim().toLowerCase()
  const source = input.utmSource.trim().toLowerCase()
  const referrer = bare(input.referrerHost)
  const host = referrer === bare(input.pageHost) ? '' : referrer

  if (isPaid(medium)) return 'paid'
  if (EMAIL_TAG.test(medium) || EMAIL_TAG.test(source) || isWebmail(host)) return 'email'
  if (medium.includes('social') || tagIs(source, SOCIAL_NAMES, isSocialHost) || isSocialHost(host)) {
    return 'social'
  }
  if (medium === 'organic' || tagIs(source, SEARCH_NAMES, isSearchHost) || isSearchHost(host)) return 'search'
  // A tagged link without a referrer was still sent from somewhere on purpose: not direct.
  if (host === '' && source === '' && medium === '') return 'direct'
  return 'other'
}

/**
 * Payment pages a visitor leaves the shop for and comes back from, by default: coming back is part
 * of the visit (the beacon's tab context continues it), so such a host is never a referrer or a
 * source. A site may name its own (`PAYMENT_HOSTS`). Matched with all their subdomains.
 */
export const DEFAULT_PAYMENT_HOSTS: readonly string[] = [
  'stripe.com',
  'paypal.com',
  'klarna.com',
  'adyen.com',
  'mollie.com',
  'braintreegateway.com',
  'checkout.com',
]

export type ReferrerInput = {
  /** The referrer's host, as `referrerHost` gives it ('' for none). */
  referrerHost: string
  /** The host of the page the event is about. */
  pageHost: string
  /** The hosts of the site's configured origins (`SITES`). */
  siteHosts: readonly string[]
  /** Hosts whose return continues a visit (`PAYMENT_HOSTS`, or the defaults). */
  paymentHosts: readonly string[]
}

/**
 * The referrer a visit is credited to: none when it is the shop itself (the page's host or any
 * origin configured for the site: a link from one of its own pages is no referral, whatever the
 * beacon sent) or a payment host the visitor came back from. Everything else as it came.
 */
export function visitReferrer(input: ReferrerInput): string {
  const host = bare(input.referrerHost)
  if (host === '') return ''
  if (host === bare(input.pageHost) || input.siteHosts.some((site) => bare(site) === host)) return ''
  if (onHost(host, input.paymentHosts.map(bare))) return ''
  return input.referrerHost
}
