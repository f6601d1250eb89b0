// @ts-check
/**
 * `npm run mutate`: mutation testing of the privacy code (the pipeline and its steps, the release
 * gate) against the tests that need no warehouse (vitest.mutate.config.ts). Not part of `npm test`:
 * it takes tens of minutes on two cores. Its latest score and the equivalent mutants, by name, are
 * in docs/mutation.md. One file at a time: `npm run mutate -- --mutate collector/labels.ts`.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'collector/pipeline.ts',
    'collector/scrub.ts',
    'collector/labels.ts',
    'collector/client-ip.ts',
    'collector/bots.ts',
    'collector/visitor-hash.ts',
    'collector/opt-out.ts',
    'api/release.ts',
    // Of the route builder, the check that every mounted read is one it built.
    'api/released-route.ts:82-83',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // The score that counts leaves out the equivalent mutants: mutation-score.mjs checks it (≥ 95 %).
  thresholds: { high: 95, low: 90, break: null },
}
