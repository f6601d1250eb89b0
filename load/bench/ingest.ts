import { spawn } from 'node:child_process'
import type { IngestFigures } from '../ingest-demo.ts'
import { ROOT } from '../lib/instance.ts'
import { int, table } from '../lib/report.ts'

/**
 * Section 3: fills `dataDir` with the demo data that section 4 reads. load/ingest-demo.ts runs as
 * a process of its own because chDB holds a data directory for as long as its process lives, and
 * the service started for section 4 must open this one.
 */
export async function ingestSection(dataDir: string, events: number, days: number): Promise<IngestFigures> {
  const figures = await ingestDemo(dataDir, events, days)
  const { bulk, live } = figures
  console.log(
    table([
      ['insert path', 'rows', 'inserts', 'rows/s', 'seconds inserting'],
      [
        `collector's batches (${int(live.batchSize)} rows, ${live.format}, dedup token, fsync)`,
        int(live.rows),
        int(live.batches),
        int(live.rowsPerSecond),
        live.seconds.toFixed(1),
      ],
      [
        `bulk load (a day per insert, ≤ ${int(bulk.chunkRows)} rows, ${bulk.format})`,
        int(bulk.rows),
        int(bulk.inserts),
        int(bulk.rowsPerSecond),
        bulk.seconds.toFixed(1),
      ],
    ]),
  )
  console.log(
    `  every event through the privacy pipeline in ${figures.workers} worker thread(s): ${figures.generateSeconds.toFixed(1)} s of thread time; wall ${figures.wallSeconds.toFixed(1)} s for ${int(figures.events)} events`,
  )
  return figures
}

function ingestDemo(dir: string, events: number, days: number): Promise<IngestFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'load/ingest-demo.ts',
        '--dir',
        dir,
        '--events',
        String(events),
        '--days',
        String(days),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = output.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`ingest-demo exited with ${code}: ${line}`))
      try {
        resolve(JSON.parse(line) as IngestFigures)
      } catch {
        reject(new Error(`ingest-demo printed no figures: ${line}`))
      }
    })
  })
}
