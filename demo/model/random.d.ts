/** Declarations of `random.js`, which stays plain JavaScript so that k6 can load it too. */

export type Random = () => number

/** mulberry32: the same seed (default 1) gives the same sequence. */
export function createRandom(seed?: number): Random
/** One of the `weighted` values, each as likely as its weight. */
export function pick<T>(random: Random, weighted: readonly (readonly [T, number])[]): T
/** One of `items`, each as likely. */
export function oneOf<T>(random: Random, items: readonly T[]): T
