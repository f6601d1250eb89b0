/**
 * Differential-privacy primitives: exact integer noise from `node:crypto`, zCDP accounting,
 * partition-selection thresholds and the accuracy published with each figure. The math and the
 * tests behind each claim are in docs/privacy-primitives.md.
 */
export {
  composeDays,
  composeRho,
  epsilonFor,
  gaussianRho,
  gaussianSigma,
  laplaceEpsilon,
  laplaceScaleFor,
  pureToRho,
  rhoFor,
  splitBudget,
} from './accounting.ts'
export { bernoulliExp } from './bernoulli-exp.ts'
export { type DiscreteGaussian, discreteGaussian } from './discrete-gaussian.ts'
export { type DiscreteLaplace, discreteLaplace } from './discrete-laplace.ts'
export { pmf, upperTail, variance } from './distribution.ts'
export {
  halfWidth,
  type NoiseAccuracy,
  noiseAccuracy,
  standardDeviation,
  sumStandardDeviation,
} from './interval.ts'
export { type NoiseSampler, type NoiseSpec, noiseSampler, sampledNoise } from './noise.ts'
export {
  bernoulli,
  cryptoRandom,
  keyedRandom,
  type RandomSource,
  randomBit,
  seededRandom,
  uniformInt,
} from './random.ts'
export { releaseProbability, releaseThreshold, type ThresholdParams, threshold } from './threshold.ts'
