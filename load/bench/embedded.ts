import { startTally } from '../lib/instance.ts'
import { mb } from '../lib/report.ts'
import { type Measure, printRuns } from './measure.ts'
import type { EmbeddedSection } from './results.ts'
import { COLLECTOR_ENV } from './settings.ts'

/** Section 5, embedded mode: the collector and ClickHouse share one process, and its memory. */
export async function embeddedSection(options: {
  measure: Measure
  workDir: string
}): Promise<EmbeddedSection> {
  const collector = await startTally({
    warehouse: { kind: 'embedded' },
    env: COLLECTOR_ENV,
    workDir: options.workDir,
  })
  try {
    const run = await options.measure('embedded collector', collector, 202)
    const peakRssBytes = collector.peakRss()
    const exitCode = await collector.stop()
    printRuns([['collector, embedded', run]])
    console.log(`  peak RSS ${mb(peakRssBytes)}`)
    return { run, peakRssBytes, exitCode }
  } finally {
    await collector.stop()
  }
}
