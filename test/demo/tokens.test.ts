import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

/*
 * `npm run demo` writes the tokens it generates where the README says (`$DATA_DIR/dashboard-token`,
 * `$DATA_DIR/api-token`, mode 0600), prints both, and the running service accepts them: the
 * recommend call it prints answers. A small demo (2 days, 30 visits a day) as a real process.
 */

const work = mkdtempSync(join(tmpdir(), 'tally-demo-tokens-'))
const dataDir = join(work, 'demo')
let child: ChildProcess | undefined

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  rmSync(work, { recursive: true, force: true })
})

describe('npm run demo', () => {
  it('writes its generated tokens to DATA_DIR, prints them, and the service takes them', async () => {
    const port = await freePort()
    const env = { ...process.env }
    delete env.DASHBOARD_TOKEN
    delete env.API_TOKEN
    const started = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'demo/main.ts', '--days', '2', '--per-day', '30', '--live', '0'],
        ...['--port', String(port), '--data-dir', dataDir],
      ],
      { env: { ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = started
    started.stdout?.setEncoding('utf8')
    let output = ''
    started.stderr?.on('data', (chunk) => {
      output += chunk
    })
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: string) => {
        output += chunk
        if (output.includes('Recommend:') && output.includes("'\n")) resolve()
      })
      started.once('exit', (code) => reject(new Error(`demo exited ${code}: ${output}`)))
    })
    const file = (name: string) => join(dataDir, name)
    for (const name of ['dashboard-token', 'api-token']) {
      expect(statSync(file(name)).mode & 0o777).toBe(0o600)
    }
    const dashboard = readFileSync(file('dashboard-token'), 'utf8').trim()
    const api = readFileSync(file('api-token'), 'utf8').trim()
    expect(dashboard).not.toBe(api)
    expect(output).toContain(`Token:      ${dashboard}`)
    expect(output).toContain(`API token:  ${api}`)
    const origin = /Dashboard: +(\S+)\//.exec(output)?.[1] as string
    const answer = await fetch(`${origin}/api/v1/recommend?site=demo&device=mobile&country=DE`, {
      headers: { authorization: `Bearer ${api}` },
    })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ site: 'demo' })
    const refused = await fetch(`${origin}/api/v1/recommend?site=demo`, {
      headers: { authorization: `Bearer ${dashboard}` },
    })
    expect(refused.status).toBe(401)
  }, 300_000)
})
