import { type ChildProcess, spawn } from 'node:child_process'
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WalLockedError, WriteAheadLog } from '../../collector/write-buffer/wal.ts'

/**
 * The write-ahead log's LOCK is judged by the kernel, not by a pid: whatever process now has the
 * pid of a dead owner, the log opens; a live owner is refused with the message operators know.
 */

const dirs: string[] = []
const children: ChildProcess[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-lock-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const WAL = resolve('collector/write-buffer/wal.ts')
// A Tally process as far as the log is concerned: it opens the log, prints its pid and waits.
const HOLDER = `
const { WriteAheadLog } = await import(${JSON.stringify(WAL)})
WriteAheadLog.open({ dir: process.argv[1], maxBytes: 1 << 20 })
process.stdout.write(process.pid + '\\n')
setInterval(() => {}, 1000)
`
const holderArgs = (dir: string) => ['--import', 'tsx', '--input-type=module', '-e', HOLDER, dir]

/** Resolves with the first line the process prints (the holder's pid, once it holds the lock). */
const firstLine = (child: ChildProcess): Promise<number> =>
  new Promise((done, fail) => {
    let out = ''
    let err = ''
    child.stderr?.on('data', (chunk) => {
      err += chunk
    })
    child.stdout?.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) done(Number(out.split('\n')[0]))
    })
    child.once('exit', (code) => fail(new Error(`exited with ${code} before holding the lock: ${err}`)))
  })

const hold = async (dir: string): Promise<{ child: ChildProcess; pid: number }> => {
  const child = spawn(process.execPath, holderArgs(dir), { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return { child, pid: await firstLine(child) }
}

const killed = (child: ChildProcess) =>
  new Promise<void>((done) => {
    child.once('exit', () => done())
    child.kill('SIGKILL')
  })

const state = (pid: number): string => {
  try {
    // `pid (comm) S ...`: the state follows the command name's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return 'gone'
  }
}

const opens = async (dir: string) => {
  const { wal } = WriteAheadLog.open({ dir, maxBytes: 1 << 20 })
  expect(lstatSync(join(dir, 'LOCK')).isSocket()).toBe(true)
  await wal.close()
}

describe('the write-ahead log lock', () => {
  it('restarts after kill -9 whatever live process the old LOCK names', async () => {
    // A LOCK in the earlier form (a pid) naming init, which is always alive.
    const legacy = tempDir()
    writeFileSync(join(legacy, 'LOCK'), '1')
    await opens(legacy)

    // The same naming a live process of no relation.
    const stranger = spawn('sleep', ['30'])
    children.push(stranger)
    const foreign = tempDir()
    writeFileSync(join(foreign, 'LOCK'), String(stranger.pid))
    await opens(foreign)
    stranger.kill('SIGKILL')

    // A killed service's LOCK: a socket nobody listens on any more.
    const dir = tempDir()
    const { child } = await hold(dir)
    await killed(child)
    expect(lstatSync(join(dir, 'LOCK')).isSocket()).toBe(true)
    await opens(dir)
  })

  it('restarts while the killed owner is an unreaped zombie', async () => {
    const dir = tempDir()
    // The holder runs in the background of a shell that then becomes `sleep`, which never reaps
    // it: killed, the holder stays a zombie with its pid taken.
    const parent = spawn('sh', ['-c', `"$0" "$@" & exec sleep 30`, process.execPath, ...holderArgs(dir)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(parent)
    const pid = await firstLine(parent)
    process.kill(pid, 'SIGKILL')
    const deadline = Date.now() + 5000
    while (state(pid) !== 'Z' && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 20))
    expect(state(pid)).toBe('Z')
    await opens(dir)
    parent.kill('SIGKILL')
  })

  it('refuses a second live process, naming it, and lets it in once the first is gone', async () => {
    const dir = tempDir()
    const { child, pid } = await hold(dir)
    expect(() => WriteAheadLog.open({ dir, maxBytes: 1 << 20 })).toThrow(WalLockedError)
    expect(() => WriteAheadLog.open({ dir, maxBytes: 1 << 20 })).toThrow(
      `the write-ahead log in ${dir} is in use by process ${pid}; give each Tally process its own DATA_DIR`,
    )
    // Nothing of the holder's was touched by the refused attempts.
    expect(lstatSync(join(dir, 'LOCK')).isSocket()).toBe(true)
    expect(child.exitCode).toBeNull()
    await killed(child)
    await opens(dir)
  })

  it('refuses a second open in the same process, and is released on close', async () => {
    const dir = tempDir()
    const { wal } = WriteAheadLog.open({ dir, maxBytes: 1 << 20 })
    expect(() => WriteAheadLog.open({ dir, maxBytes: 1 << 20 })).toThrow(`in use by process ${process.pid}`)
    await wal.close()
    expect(readdirSync(dir)).toEqual([])
    await opens(dir)
  })
})
