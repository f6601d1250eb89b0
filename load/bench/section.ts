import { loadavg } from 'node:os'
import { heading } from '../lib/report.ts'
import type { Results } from './results.ts'
import type { Section } from './settings.ts'

export type RunSection = <K extends Section>(
  name: K,
  title: string,
  run: () => Promise<Results[K]>,
) => Promise<void>

/**
 * Runs the sections asked for, each under its heading, into `results`. A section that fails is
 * recorded and the bench goes on: the other figures of a long run are still worth having.
 */
export function sectionRunner(results: Results, wanted: ReadonlySet<string>): RunSection {
  return async (name, title, run) => {
    if (!wanted.has(name)) return
    heading(title)
    const load = loadavg()[0] ?? 0
    results.loadAverage[name] = Math.round(load * 100) / 100
    if (load > results.machine.cores) {
      console.log(
        `  note: load average ${load.toFixed(1)} on ${results.machine.cores} cores: other processes are taking CPU, figures will be low and noisy`,
      )
    }
    try {
      results[name] = await run()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      results.errors[name] = message
      console.log(`  failed: ${message}`)
    }
  }
}
