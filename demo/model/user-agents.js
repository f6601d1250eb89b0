// @ts-check
/**
 * The browsers of the load scripts' visitors: user agents in roughly their share of a European
 * storefront's traffic, and their languages. Plain JavaScript, for k6 as for Node.
 */

export const LANGUAGES = /** @type {Array<[number, string]>} */ ([
  [45, 'en-US,en;q=0.9'],
  [15, 'en-GB,en;q=0.9'],
  [15, 'de-DE,de;q=0.9,en;q=0.8'],
  [10, 'fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7'],
  [8, 'es-ES,es;q=0.9'],
  [7, 'nl-NL,nl;q=0.9,en;q=0.8'],
])

/** @param {number} from @param {number} to */
export const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/**
 * Normal browsers only, in roughly their share of a European storefront's traffic, each over the
 * versions in use at once: a few hundred distinct strings, as real traffic has.
 * @type {Array<[number, string[]]>}
 */
export const USER_AGENTS = [
  [
    24,
    range(120, 131).map(
      (v) =>
        `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
    ),
  ],
  [
    20,
    ['16_6', '17_1', '17_4', '17_5', '17_6', '18_0', '18_1'].map(
      (os) =>
        `Mozilla/5.0 (iPhone; CPU iPhone OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${os.split('_')[0]}.${os.split('_')[1]} Mobile/15E148 Safari/604.1`,
    ),
  ],
  [
    17,
    range(118, 131).flatMap((v) => [
      `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`,
    ]),
  ],
  [
    7,
    ['16.6', '17.2', '17.5', '17.6', '18.1'].map(
      (v) =>
        `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Safari/605.1.15`,
    ),
  ],
  [
    6,
    range(122, 131).map(
      (v) =>
        `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
    ),
  ],
  [
    6,
    range(122, 131).map(
      (v) =>
        `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`,
    ),
  ],
  [
    5,
    range(115, 133).flatMap((v) => [
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
      `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
    ]),
  ],
  [
    4,
    range(23, 26).map(
      (v) =>
        `Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${v}.0 Chrome/${v + 92}.0.0.0 Mobile Safari/537.36`,
    ),
  ],
  [
    3,
    ['16_6', '17_5', '18_1'].map(
      (os) =>
        `Mozilla/5.0 (iPad; CPU OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${os.split('_')[0]}.0 Mobile/15E148 Safari/604.1`,
    ),
  ],
  [
    1,
    range(124, 131).map(
      (v) =>
        `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
    ),
  ],
  [
    4,
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 339.0.3.12.91 (iPhone14,5; iOS 17_5; en_US; en; scale=3.00; 1170x2532; 609846989)',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/487.0.0.51.109;FBBV/658148476;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/129.0.6668.100 Mobile Safari/537.36',
    ],
  ],
]

/** Every user agent of the mix, for checks (none of them may look like a bot). */
export const ALL_USER_AGENTS = USER_AGENTS.flatMap(([, list]) => list)
