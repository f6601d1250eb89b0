// The shop's catalogue, what leads from one product to the next, and what people search for.

export type Product = { id: string; category: string; price: number }

const CATALOG: Record<string, [string, number][]> = {
  brakes: [
    ['ceramic-brake-pads', 39.9],
    ['vented-brake-discs', 89.5],
    ['brake-fluid-dot-four', 12.5],
    ['brake-caliper-kit', 59],
    ['brake-cleaner', 7.9],
  ],
  tyres: [
    ['winter-tyre', 79],
    ['all-season-tyre', 84],
    ['summer-tyre', 95],
    ['tyre-pressure-gauge', 14.9],
    ['snow-socks', 39],
  ],
  oil: [
    ['engine-oil-five-w-thirty', 34.9],
    ['engine-oil-zero-w-twenty', 39.9],
    ['oil-filter', 12],
    ['oil-drain-pan', 16.5],
  ],
  wipers: [
    ['wiper-blades-pair', 24],
    ['rear-wiper-blade', 11.5],
    ['washer-fluid', 6.5],
    ['de-icer-spray', 5.9],
  ],
}

export const PRODUCTS: Product[] = Object.entries(CATALOG).flatMap(([category, items]) =>
  items.map(([id, price]) => ({ id, category, price })),
)
export const byId = new Map(PRODUCTS.map((product) => [product.id, product]))
export const inCategory = (category: string) => PRODUCTS.filter((product) => product.category === category)

/** What people look at next: each product's natural companions. */
export const COMPANIONS: Record<string, string[]> = {
  'ceramic-brake-pads': ['vented-brake-discs', 'brake-fluid-dot-four', 'brake-cleaner'],
  'vented-brake-discs': ['ceramic-brake-pads', 'brake-caliper-kit'],
  'brake-caliper-kit': ['brake-fluid-dot-four', 'ceramic-brake-pads'],
  'winter-tyre': ['all-season-tyre', 'snow-socks', 'tyre-pressure-gauge'],
  'all-season-tyre': ['winter-tyre', 'summer-tyre'],
  'summer-tyre': ['all-season-tyre', 'tyre-pressure-gauge'],
  'snow-socks': ['winter-tyre'],
  'engine-oil-five-w-thirty': ['oil-filter', 'engine-oil-zero-w-twenty'],
  'engine-oil-zero-w-twenty': ['oil-filter', 'engine-oil-five-w-thirty'],
  'oil-filter': ['engine-oil-five-w-thirty', 'oil-drain-pan'],
  'wiper-blades-pair': ['washer-fluid', 'rear-wiper-blade', 'de-icer-spray'],
  'rear-wiper-blade': ['wiper-blades-pair'],
  'washer-fluid': ['de-icer-spray', 'wiper-blades-pair'],
}

export const INTEREST: [string, number][] = [
  ['brakes', 36],
  ['tyres', 30],
  ['oil', 19],
  ['wipers', 15],
]

/** Search terms and how many products each finds; the zero-result ones are the shop's gaps. */
export const SEARCHES: [string, number, number][] = [
  ['brake pads', 3, 30],
  ['winter tyres', 2, 22],
  ['oil 5w30', 2, 18],
  ['wiper blades', 2, 14],
  ['snow socks', 1, 9],
  ['oil filter', 1, 9],
  ['brake discs', 1, 7],
  ['de-icer', 1, 5],
  ['car battery', 0, 10],
  ['snow chains', 0, 8],
  ['led headlight', 0, 7],
  ['roof box', 0, 6],
  ['dash cam', 0, 5],
  ['carbon ceramic brakes', 0, 3],
]
