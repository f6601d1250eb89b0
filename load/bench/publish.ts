import { spawn } from 'node:child_process'
import { ROOT } from '../lib/instance.ts'
import { int } from '../lib/report.ts'
import type { PublishSection } from './results.ts'

/** The bench stops the publication's process after this long, whatever it is doing. */
const TIMEOUT_MS = 20 * 60_000

/**
 * Section 9: the cost of publishing released figures (issue 15, point 9). `demo/dp-accuracy.ts`
 * records `days` days of the demo's traffic at `perDay` visits a day through the real collector
 * into a fresh embedded warehouse of its own process, then runs the publish job once over all of
 * it at the default ε and δ: every closed day (with its exact cells for the coarser grains), the
 * closed hours since yesterday, and the closed ISO weeks and months. The figure is the time that
 * publication takes per day of data. The recording itself is not timed.
 */
export async function publishSection(options: { days: number; perDay: number }): Promise<PublishSection> {
  const args = ['--import', 'tsx', 'demo/dp-accuracy.ts', String(options.days), String(options.perDay)]
  const { code, output } = await run(args)
  const line = output.split('\n').find((text) => text.startsWith('publish-cost '))
  if (code !== 0 || !line) throw new Error(`demo/dp-accuracy.ts failed (${code}): ${output.slice(-2000)}`)
  const cost = JSON.parse(line.slice('publish-cost '.length)) as {
    events: number
    days: number
    periods: Record<string, number>
    ms: number
  }
  const msPerDay = cost.days > 0 ? cost.ms / cost.days : 0
  console.log(
    `  ${int(cost.events)} events over ${cost.days} days (${options.perDay} visits a day); periods published: ${JSON.stringify(cost.periods)}`,
  )
  console.log(
    `  publishing took ${int(cost.ms)} ms: ${msPerDay.toFixed(0)} ms per day of data, every grain included`,
  )
  return { ...cost, perDay: options.perDay, msPerDay }
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}
