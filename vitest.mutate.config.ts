import { defineConfig } from 'vitest/config'

/**
 * The tests `npm run mutate` runs against each mutant: only those that need no warehouse. The
 * mutation runner executes tests in worker threads, where the embedded warehouse (chDB) crashes,
 * and these files cover the privacy units it mutates (see docs/mutation.md).
 */
export const MUTATION_TESTS = [
  'test/collector/scrub.test.ts',
  'test/collector/privacy-mutants.test.ts',
  'test/collector/labels.test.ts',
  'test/collector/client-ip.test.ts',
  'test/collector/bots.test.ts',
  'test/collector/visitor-hash.test.ts',
  'test/collector/opt-out.test.ts',
  'test/collector/pipeline.test.ts',
  'test/collector/coarsen.test.ts',
  'test/collector/sources.test.ts',
  'test/api/read-api.unit.test.ts',
  'test/api/release-gate.test.ts',
]

export default defineConfig({
  test: {
    include: MUTATION_TESTS,
    testTimeout: 60_000,
    // Property tests run 1000 cases each in `npm test`; 100 per mutant keeps a run within the hour.
    env: { PROPERTY_RUNS: '100' },
  },
})
