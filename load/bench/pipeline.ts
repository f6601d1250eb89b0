import { benchPipeline, type PipelineBench } from '../lib/pipeline-bench.ts'
import { int, table } from '../lib/report.ts'
import { ORIGIN, SITE } from './settings.ts'

/** Section 2: the privacy pipeline without HTTP, to tell its cost from the server's. */
export async function pipelineSection(quick: boolean): Promise<PipelineBench> {
  const bench = benchPipeline({
    events: quick ? 5_000 : 20_000,
    rounds: quick ? 3 : 7,
    site: SITE,
    origin: ORIGIN,
  })
  console.log(
    table([
      ['stage', 'µs/event'],
      [
        'screen + JSON.parse + validate + processEvent + row JSON (all)',
        bench.totalMicrosPerEvent.toFixed(2),
      ],
      ...bench.stages.map((stage) => [`  ${stage.name}`, stage.microsPerEvent.toFixed(2)]),
    ]),
  )
  console.log(`  ${int(bench.events)} requests of the mix, ${bench.distinctUserAgents} distinct user agents`)
  return bench
}
