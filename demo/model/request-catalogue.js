// @ts-check
/**
 * What the load scripts' storefront offers and where its visitors come from: categories, offers,
 * searches, blog posts, custom events and landings. Plain JavaScript, for k6 as for Node.
 */

export const CATEGORIES = [
  'brakes',
  'tyres',
  'oil',
  'filters',
  'lighting',
  'batteries',
  'wipers',
  'tools',
  'accessories',
  'suspension',
  'exhaust',
  'cooling',
]
export const PRODUCTS_PER_CATEGORY = 40
export const OFFERS = ['free-shipping', 'bundle-10', 'winter-tyres', 'oil-2for1', 'newsletter-5', 'clearance']
export const VARIANTS = ['control', 'a', 'b']
export const SEARCHES = [
  'brake pads',
  'ceramic brake pads',
  'brake discs front',
  'oil 5w30',
  'oil 0w20 synthetic',
  'oil filter',
  'air filter',
  'cabin filter',
  'wiper blades',
  'wiper blades 24 inch',
  'h7 bulb',
  'led headlight',
  'car battery 70ah',
  'jump starter',
  'winter tyres 205/55 r16',
  'all season tyres',
  'tyre pressure gauge',
  'torque wrench',
  'socket set',
  'floor jack',
  'coolant',
  'antifreeze g12',
  'shock absorber',
  'exhaust clamp',
  'roof box',
  'phone holder',
  'dash cam',
  'seat covers',
  'Bremsbeläge',
  'huile moteur',
  'spark plugs',
  'timing belt kit',
  'xyzzy',
]
export const BLOG = ['how-to-change-brake-pads', 'winter-checklist', 'oil-grades-explained', 'choosing-tyres']
export const CUSTOM = [
  { name: 'newsletter_signup', props: { placement: 'footer' } },
  { name: 'filter_used', props: { filter: 'price', value: 'under-50' } },
  { name: 'video_play', props: { video: 'brake-pads-howto', seconds: 30 } },
  { name: 'size_guide_open', props: {} },
]

/** Where visitors land from: [weight, referrer, extra query on the landing page]. */
export const LANDINGS = /** @type {Array<[number, string | undefined, string]>} */ ([
  [38, undefined, ''],
  [22, 'https://www.google.com/', ''],
  [4, 'https://www.bing.com/', ''],
  [3, 'https://duckduckgo.com/', ''],
  [6, 'https://l.facebook.com/', '?fbclid=IwAR2x9Q7dKs0mP3vR8tYz'],
  [4, 'https://www.instagram.com/', ''],
  [2, 'https://www.reddit.com/r/MechanicAdvice/comments/1abc2de/brakes/', ''],
  [6, undefined, '?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale'],
  [6, 'https://www.google.com/', '?utm_source=google&utm_medium=cpc&utm_campaign=brakes&gclid=Cj0KCQiA'],
  [3, 'https://t.co/', '?utm_source=twitter&utm_medium=social'],
  [2, 'https://www.autoforum.example/threads/123', ''],
  [4, 'https://www.google.de/', ''],
])
