import geoip from 'geoip-country'
import { describe, expect, it } from 'vitest'
import {
  classifyParsed,
  createCountryLookup,
  createUaClassifier,
  isPublicIp,
  type ParsedUa,
} from '../../collector/coarsen.ts'
import { headerRecord } from '../../collector/opt-out.ts'

const UA = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  safariIpad:
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  // iPadOS 13+ Safari asks for desktop sites by default and is indistinguishable from a Mac.
  safariIpadDesktopMode:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  firefoxUbuntu: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  chromeAndroidTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0',
  samsung:
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  facebookIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]',
  instagramIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.108 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 590000000)',
  tiktokIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US',
  lineAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Line/14.5.1/IAB',
  // The parser reports this app's name in the capitals the app sends.
  naverIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 NAVER(inapp; search; 2000; 12.3.1; 15PRO)',
  androidWebView:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36',
  chromebook:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  playstation: 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  tizenTv:
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
}

describe('createUaClassifier', () => {
  const classify = createUaClassifier()

  it.each([
    ['chromeWindows', 'Chrome', 'Windows', 'desktop'],
    ['safariIphone', 'Safari', 'iOS', 'mobile'],
    ['safariIpad', 'Safari', 'iOS', 'tablet'],
    ['safariIpadDesktopMode', 'Safari', 'macOS', 'desktop'],
    ['firefoxLinux', 'Firefox', 'Linux', 'desktop'],
    ['firefoxUbuntu', 'Firefox', 'Linux', 'desktop'],
    ['chromeAndroid', 'Chrome', 'Android', 'mobile'],
    ['chromeAndroidTablet', 'Chrome', 'Android', 'tablet'],
    ['chromeIphone', 'Chrome', 'iOS', 'mobile'],
    ['edge', 'Edge', 'Windows', 'desktop'],
    ['opera', 'Opera', 'Windows', 'desktop'],
    ['samsung', 'Samsung Internet', 'Android', 'mobile'],
    ['facebookIos', 'In-App', 'iOS', 'mobile'],
    ['instagramIos', 'In-App', 'iOS', 'mobile'],
    ['tiktokIos', 'In-App', 'iOS', 'mobile'],
    ['lineAndroid', 'In-App', 'Android', 'mobile'],
    ['naverIos', 'In-App', 'iOS', 'mobile'],
    ['androidWebView', 'In-App', 'Android', 'mobile'],
    ['chromebook', 'Chrome', 'Chrome OS', 'desktop'],
    ['playstation', 'Other', 'Other', 'other'],
    ['tizenTv', 'Samsung Internet', 'Other', 'other'],
    ['googlebot', 'Other', 'Other', 'desktop'],
  ] as const)('%s -> %s / %s / %s', (name, browser, os, device) => {
    expect(classify(UA[name])).toEqual({ browser, os, device })
  })

  it('answers Other for what it cannot parse, and never a version', () => {
    expect(classify('')).toEqual({ browser: 'Other', os: 'Other', device: 'desktop' })
    expect(classify('garbage/1.0')).toEqual({ browser: 'Other', os: 'Other', device: 'desktop' })
    for (const ua of Object.values(UA)) {
      const { browser, os } = classify(ua)
      expect(`${browser}${os}`).not.toMatch(/\d/)
    }
  })

  it('still honours an in-app type from a parser that reports one', () => {
    expect(
      classifyParsed({ browser: { name: 'Chrome', type: 'inapp' }, os: { name: 'Android' }, device: {} }),
    ).toEqual({ browser: 'In-App', os: 'Android', device: 'desktop' })
  })

  it.each([
    ['Mobile Safari', 'iOS', 'Safari', 'iOS'],
    ['KAKAOTALK', 'iOS', 'In-App', 'iOS'],
    ['Opera Mini', 'Android', 'Opera', 'Android'],
    ['Chrome', 'Mac OS', 'Chrome', 'macOS'],
    ['Chrome', 'Chromium OS', 'Chrome', 'Chrome OS'],
    ['Firefox', 'Red Hat', 'Firefox', 'Linux'],
    ['firefox', 'FEDORA', 'Firefox', 'Linux'],
    ['Chrome', 'Android x86', 'Chrome', 'Android'],
  ])('maps the parsed names %s / %s to %s / %s', (browserName, osName, browser, os) => {
    expect(classifyParsed({ browser: { name: browserName }, os: { name: osName }, device: {} })).toEqual({
      browser,
      os,
      device: 'desktop',
    })
  })

  it('parses each user agent once while it stays in the cache', () => {
    const parsed: string[] = []
    const classifyCounted = createUaClassifier({
      parse: (ua): ParsedUa => {
        parsed.push(ua)
        return { browser: { name: 'Firefox' }, os: { name: 'Linux' }, device: {} }
      },
    })
    for (let i = 0; i < 5; i++) {
      classifyCounted(UA.firefoxLinux)
      classifyCounted(UA.chromeWindows)
    }
    expect(parsed).toEqual([UA.firefoxLinux, UA.chromeWindows])
  })

  it('evicts the least recently used entry beyond cacheSize', () => {
    let parses = 0
    const classifySmall = createUaClassifier({
      cacheSize: 2,
      parse: () => {
        parses++
        return { browser: {}, os: {}, device: {} }
      },
    })
    classifySmall('a')
    classifySmall('b')
    classifySmall('a') // a is now the most recent
    classifySmall('c') // evicts b
    expect(parses).toBe(3)
    classifySmall('a')
    expect(parses).toBe(3)
    classifySmall('b')
    expect(parses).toBe(4)
  })

  it('shares one cache entry for user agents that differ only past what the parser reads', () => {
    let parses = 0
    const classifyCounted = createUaClassifier({
      parse: () => {
        parses++
        return { browser: {}, os: {}, device: {} }
      },
    })
    const long = 'x'.repeat(600)
    classifyCounted(`${long}a`)
    classifyCounted(`${long}b`)
    expect(parses).toBe(1)
  })

  it('hands out frozen results, so one caller cannot corrupt another', () => {
    const result = classify(UA.chromeWindows)
    expect(Object.isFrozen(result)).toBe(true)
    expect(classify(UA.chromeWindows)).toBe(result)
  })

  it('rejects a cache size that is not a positive integer', () => {
    expect(() => createUaClassifier({ cacheSize: 0 })).toThrow(RangeError)
    expect(() => createUaClassifier({ cacheSize: 1.5 })).toThrow(RangeError)
  })
})

describe('createCountryLookup', () => {
  const none = headerRecord({})
  const direct = createCountryLookup({ trustProxy: false })
  const proxied = createCountryLookup({ trustProxy: true })

  it.each([
    ['8.8.8.8', 'US'],
    ['2001:4860:4860::8888', 'US'],
    ['81.2.69.142', 'GB'],
    ['77.88.8.8', 'RU'],
    ['139.130.4.5', 'AU'],
    ['::ffff:8.8.8.8', 'US'],
  ])('places %s in %s with the bundled database', (ip, country) => {
    // Cross-check against the package itself, so a data update that moves a range shows up as such.
    expect(geoip.lookup(ip)?.country).toBe(country)
    expect(direct(ip, none)).toBe(country)
  })

  it.each([
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '127.0.0.1',
    '100.64.0.1',
    '169.254.1.1',
    '203.0.113.5',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:10.0.0.1',
    '',
    'not-an-ip',
  ])("gives '' for the non-public or invalid address %j", (ip) => {
    expect(isPublicIp(ip)).toBe(false)
    expect(direct(ip, none)).toBe('')
    expect(proxied(ip, none)).toBe('')
  })

  it('reports public addresses as public', () => {
    expect(isPublicIp('8.8.8.8')).toBe(true)
    expect(isPublicIp('2001:4860:4860::8888')).toBe(true)
  })

  it.each([
    ['0.255.255.255', false],
    ['1.0.0.0', true],
    ['9.255.255.255', true],
    ['11.0.0.0', true],
    ['100.63.255.255', true],
    ['100.127.255.255', false],
    ['100.128.0.0', true],
    ['172.15.255.255', true],
    ['172.31.255.255', false],
    ['172.32.0.0', true],
    ['198.17.255.255', true],
    ['198.19.255.255', false],
    ['198.20.0.0', true],
    ['223.255.255.255', true],
    ['224.0.0.0', false],
    ['255.255.255.255', false],
  ])('draws the IPv4 range edges exactly: %s public is %s', (ip, expected) => {
    expect(isPublicIp(ip)).toBe(expected)
  })

  it('believes a proxy country header only when the proxy is trusted', () => {
    const headers = new Headers({ 'CF-IPCountry': 'DE' })
    expect(proxied('8.8.8.8', headers)).toBe('DE')
    expect(direct('8.8.8.8', headers)).toBe('US')
  })

  it('lets the trusted header win even without a usable address', () => {
    expect(proxied('', headerRecord({ 'x-country-code': 'fr' }))).toBe('FR')
    expect(proxied('10.0.0.1', headerRecord({ 'cloudfront-viewer-country': 'JP' }))).toBe('JP')
  })

  it.each(['XX', 'T1', 'USA', '1', '', 'u$'])('ignores the unusable header value %j', (value) => {
    expect(proxied('8.8.8.8', headerRecord({ 'cf-ipcountry': value }))).toBe('US')
    expect(proxied('10.0.0.1', headerRecord({ 'cf-ipcountry': value }))).toBe('')
  })

  it('takes the first usable header in a fixed order', () => {
    const headers = headerRecord({
      'cf-ipcountry': 'XX',
      'x-country-code': 'NL',
      'cloudfront-viewer-country': 'BE',
    })
    expect(proxied('8.8.8.8', headers)).toBe('NL')
  })
})
