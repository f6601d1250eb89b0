import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Runs close-under-insert.child.ts; resolves with how the process ended and what it printed. */
function runChild(variant: 'running' | 'aborted') {
  const dir = mkdtempSync(join(tmpdir(), 'tally-close-under-insert-'))
  dirs.push(dir)
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'close-under-insert.child.ts'), dir, variant],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, output })),
  )
}

const lastLine = (output: string) => JSON.parse(output.trim().split('\n').at(-1) ?? '{}')

// chDB crashes the process it runs in when that process exits with an insert still running in the
// engine, closed or not: the embedded warehouse's close() waits for it, and refuses what comes after.
describe('closing the embedded warehouse while an insert runs in it', () => {
  it('waits for the insert, refuses a query started after close() began, and the process exits 0', async () => {
    const { code, signal, output } = await runChild('running')
    expect({ code, signal }, output).toEqual({ code: 0, signal: null })
    expect(lastLine(output)).toEqual({
      insert: 'inserted',
      refused: expect.stringMatching(/^the warehouse is closing: query\(\) refused/),
    })
  })

  it('waits too for an insert its caller aborted, which chDB writes on to the end', async () => {
    const { code, signal, output } = await runChild('aborted')
    expect({ code, signal }, output).toEqual({ code: 0, signal: null })
    expect(lastLine(output)).toEqual({
      insert: expect.stringMatching(/aborted/),
      refused: expect.stringMatching(/^the warehouse is closing/),
    })
  })
})
