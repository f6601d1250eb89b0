// Who visits: devices, countries, sources, their browsers and how each source brings them.

export type Device = 'desktop' | 'mobile' | 'tablet'
export type Source = 'search' | 'social' | 'email' | 'paid' | 'direct'

export const DEVICES: [Device, number][] = [
  ['desktop', 51],
  ['mobile', 45],
  ['tablet', 4],
]
// A shop for German-speaking countries; the few visitors from elsewhere stay under the k
// threshold in most views, which is what a real shop's long tail looks like.
export const COUNTRIES: [string, number][] = [
  ['DE', 68],
  ['AT', 19],
  ['CH', 11],
  ['NL', 1],
  ['FR', 0.6],
  ['US', 0.4],
]
export const SOURCES: [Source, number][] = [
  ['search', 38],
  ['direct', 21],
  ['social', 20],
  ['email', 13],
  ['paid', 8],
]

export const USER_AGENTS: Record<Device, [string, number][]> = {
  desktop: [
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      46,
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      18,
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0', 14],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      14,
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      8,
    ],
  ],
  mobile: [
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      48,
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      38,
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      14,
    ],
  ],
  tablet: [
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      70,
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      30,
    ],
  ],
}

/** How a source brings a visitor: a referrer, or campaign tags on the landing URL. */
export const ARRIVALS: Record<Source, [{ referrer?: string; utm?: string }, number][]> = {
  search: [
    [{ referrer: 'https://www.google.com/' }, 78],
    [{ referrer: 'https://www.bing.com/' }, 12],
    [{ referrer: 'https://duckduckgo.com/' }, 10],
  ],
  social: [
    [{ referrer: 'https://l.facebook.com/' }, 40],
    [{ referrer: 'https://www.instagram.com/' }, 30],
    [{ referrer: 'https://www.youtube.com/' }, 18],
    [{ referrer: 'https://www.reddit.com/' }, 12],
  ],
  email: [
    [{ utm: 'utm_source=newsletter&utm_medium=email&utm_campaign=winter-check' }, 60],
    [{ utm: 'utm_source=newsletter&utm_medium=email&utm_campaign=brake-week' }, 40],
  ],
  paid: [
    [
      {
        referrer: 'https://www.google.com/',
        utm: 'utm_source=google&utm_medium=cpc&utm_campaign=brakes-search',
      },
      60,
    ],
    [
      {
        referrer: 'https://l.facebook.com/',
        utm: 'utm_source=facebook&utm_medium=paid-social&utm_campaign=tyres-retarget',
      },
      40,
    ],
  ],
  direct: [[{}, 1]],
}
