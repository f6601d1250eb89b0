import { type DiscreteGaussian, discreteGaussian } from './discrete-gaussian.ts'
import { type DiscreteLaplace, discreteLaplace } from './discrete-laplace.ts'

/**
 * Which integer noise a measurement gets, and its parameter: σ for the discrete Gaussian
 * (P(y) ∝ exp(−y²/(2σ²))), the scale b for the discrete Laplace (P(y) ∝ exp(−|y|/b)).
 */
export type NoiseSpec =
  | { readonly mechanism: 'discrete-gaussian'; readonly sigma: number }
  | { readonly mechanism: 'discrete-laplace'; readonly scale: number }

/** A sampler: its spec holds the parameter actually sampled (rounded up from the one asked). */
export type NoiseSampler = DiscreteGaussian | DiscreteLaplace

/**
 * The sampler for a spec. Its `sigma` / `scale` is the rounded-up parameter; thresholds and
 * intervals must be computed from the sampler (or `sampledNoise`), since a larger parameter has
 * heavier tails.
 */
export function noiseSampler(spec: NoiseSpec): NoiseSampler {
  return spec.mechanism === 'discrete-gaussian' ? discreteGaussian(spec.sigma) : discreteLaplace(spec.scale)
}

/** The spec actually sampled for `spec`: the same mechanism with its parameter rounded up. */
export function sampledNoise(spec: NoiseSpec): NoiseSpec {
  const sampler = noiseSampler(spec)
  return sampler.mechanism === 'discrete-gaussian'
    ? { mechanism: 'discrete-gaussian', sigma: sampler.sigma }
    : { mechanism: 'discrete-laplace', scale: sampler.scale }
}
