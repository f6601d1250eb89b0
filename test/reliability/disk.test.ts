import { execFileSync } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { postEvents } from '../support/http.ts'
import { type ServiceProcess, sleep, spawnService, stopService } from '../support/process.ts'
import { drained, eventName, queryEmbedded } from './support.ts'

/**
 * The disk under the write-ahead log fails: the collector answers 503 with Retry-After (never a
 * 202 it cannot keep, never a 500), logs one clear line, stays up, and takes events again as soon
 * as the disk does; everything it acknowledged is counted once.
 *
 * Two ways to make the disk fail, since a root process ignores file permissions:
 * - a real full disk: the log's directory (`DATA_DIR/wal`) on a small tmpfs (needs mount
 *   privileges; skipped without them), filled up while the service runs. Only the log's disk is
 *   filled: the embedded warehouse keeps its own directory on another disk, as it must (chDB
 *   itself does not survive a full disk gracefully: an earlier version of this test, with
 *   everything on one tmpfs, saw it leave a table's metadata file empty);
 * - the log's directory replaced by a plain file while the service runs (no privileges needed):
 *   every new log file then fails with ENOTDIR, as with a directory that vanished or a disk
 *   remounted elsewhere.
 */

const cleanups: Array<() => void> = []
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup()
})

/** A DATA_DIR whose `wal` directory is a tmpfs of this size, or undefined without privileges. */
function mountTmpfs(megabytes: number): string | undefined {
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-tmpfs-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const dir = join(dataDir, 'wal')
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  cleanups.push(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
    } catch {
      // already gone
    }
  })
  return dataDir
}

const tmpfs = mountTmpfs(4)
if (!tmpfs) console.warn('[disk full] skipped: cannot mount a tmpfs here (needs root and mount privileges)')

const pageview = (prefix: string, n: number) => ({
  type: 'pageview',
  site: 'demo',
  url: `http://localhost:8787/${prefix}/${eventName(n)}`,
})

/** Posts single events until one is refused (or `max` were accepted); returns what happened. */
async function postUntilRefused(service: ServiceProcess, prefix: string, from: number, max = 400) {
  const accepted: number[] = []
  for (let n = from; n < from + max; n++) {
    const answer = await postEvents(service.url, pageview(prefix, n))
    if (answer.status === 202) {
      accepted.push(n)
      continue
    }
    return { accepted, refused: { n, ...answer } }
  }
  return { accepted, refused: undefined }
}

async function postUntilAccepted(service: ServiceProcess, prefix: string, from: number, timeoutMs = 15_000) {
  const started = Date.now()
  const statuses = new Set<number>()
  for (let n = from; Date.now() - started < timeoutMs; n++) {
    const answer = await postEvents(service.url, pageview(prefix, n))
    statuses.add(answer.status)
    if (answer.status === 202) return { n, statuses }
    await sleep(100)
  }
  throw new Error(`no event was accepted in ${timeoutMs} ms:\n${service.output()}`)
}

/**
 * The warehouse's count per path once nothing acknowledged waits in the log. A SIGTERM flushes
 * what the warehouse takes before the deadline and leaves the rest in the log (on a busy machine
 * an insert can queue behind the start-up jobs on the embedded connection); the next start
 * replays it, so the count is taken after one.
 */
async function counts(dataDir: string, prefix: string): Promise<Map<string, number>> {
  for (
    let start = 0;
    start < 3 && readdirSync(join(dataDir, 'wal')).some((f) => f.endsWith('.wal'));
    start++
  ) {
    const again = await spawnService({ DATA_DIR: dataDir })
    await drained(again)
    expect((await stopService(again)).code).toBe(0)
  }
  const rows = await queryEmbedded<{ path: string; n: number }>(
    dataDir,
    `SELECT path, toUInt64(sumMerge(pageviews)) AS n FROM pages_daily WHERE path LIKE '/${prefix}/%' GROUP BY path`,
  )
  return new Map(rows.map((row) => [row.path, Number(row.n)]))
}

function expectCountedOnce(found: Map<string, number>, prefix: string, accepted: number[]) {
  const expected = new Map(accepted.map((n) => [`/${prefix}/${eventName(n)}`, 1]))
  expect(new Map([...found].filter(([path]) => !expected.has(path)))).toEqual(new Map())
  expect(found).toEqual(expected)
}

describe('a failing disk under the write-ahead log', () => {
  it.skipIf(!tmpfs)(
    'disk full: 503 with Retry-After, one clear log line, no crash, and back when space is freed',
    async () => {
      const dataDir = tmpfs as string
      const service = await spawnService({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '200' })
      const accepted: number[] = []
      for (let n = 0; n < 20; n++) {
        expect((await postEvents(service.url, pageview('d', n))).status).toBe(202)
        accepted.push(n)
      }
      // Fill the log's disk to the last page.
      const filler = join(dataDir, 'wal', 'filler')
      const fd = openSync(filler, 'w')
      for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
        const chunk = Buffer.alloc(size, 1)
        try {
          for (;;) writeSync(fd, chunk)
        } catch {
          // this chunk size no longer fits
        }
      }
      closeSync(fd)

      const full = await postUntilRefused(service, 'd', 1_000)
      accepted.push(...full.accepted)
      expect(full.refused?.status, service.output()).toBe(503)
      expect(full.refused?.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(full.refused?.json).toMatchObject({ error: 'unavailable' })
      await expect
        .poll(() => service.output(), { timeout: 5_000 })
        .toMatch(/cannot write the write-ahead log/)
      expect(service.output()).toMatch(/ENOSPC|no space left/i)
      const health = await service.health()
      expect(health.body.status).toBe('degraded')
      expect(health.body.checks.find((check) => check.name === 'write_buffer')?.detail.walWritable).toBe(
        false,
      )
      // While the disk is (nearly) full, each answer is a 202 for a write that made it or a 503.
      for (let n = 2_000; n < 2_050; n++) {
        const answer = await postEvents(service.url, pageview('d', n))
        expect([202, 503]).toContain(answer.status)
        if (answer.status === 202) accepted.push(n)
      }
      expect(service.child.exitCode).toBeNull()

      unlinkSync(filler)
      const back = await postUntilAccepted(service, 'd', 3_000)
      expect([...back.statuses].filter((status) => status !== 202 && status !== 503)).toEqual([])
      accepted.push(back.n)
      expect((await stopService(service)).code).toBe(0)
      // The one log line per failure burst, not one per request.
      expect(service.output().match(/cannot write the write-ahead log/g)?.length ?? 0).toBeLessThan(10)

      const found = await counts(dataDir, 'd')
      // A 503 means "not taken": none of the refused events may show up; every 202 exactly once.
      expectCountedOnce(found, 'd', accepted)
    },
    120_000,
  )

  it('the log directory replaced by a file: 503, a clear log line, no crash, and back when restored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-disk-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const service = await spawnService({ DATA_DIR: dataDir, FLUSH_INTERVAL_MS: '100' })
    const accepted: number[] = []
    for (let n = 0; n < 10; n++) {
      expect((await postEvents(service.url, pageview('r', n))).status).toBe(202)
      accepted.push(n)
    }
    // Once these are in the warehouse the log has no open file: the next event needs a new one.
    await drained(service)
    const wal = join(dataDir, 'wal')
    renameSync(wal, `${wal}.away`)
    writeFileSync(wal, 'not a directory')

    const broken = await postUntilRefused(service, 'r', 1_000)
    accepted.push(...broken.accepted)
    expect(broken.refused?.status, service.output()).toBe(503)
    expect(broken.refused?.headers.get('retry-after')).toMatch(/^\d+$/)
    // The line naming the cause follows the refusal; on a loaded machine it may take a while.
    await expect
      .poll(() => service.output(), { timeout: 20_000 })
      .toMatch(/cannot write the write-ahead log.*ENOTDIR/)
    expect(service.child.exitCode).toBeNull()
    expect((await service.health()).body.status).toBe('degraded')

    unlinkSync(wal)
    renameSync(`${wal}.away`, wal)
    const back = await postUntilAccepted(service, 'r', 3_000)
    accepted.push(back.n)
    expect((await stopService(service)).code).toBe(0)
    expectCountedOnce(await counts(dataDir, 'r'), 'r', accepted)
  }, 90_000)

  it('an unusable DATA_DIR at start: exits 1 with one line naming it, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-disk-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const dataDir = join(dir, 'data')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'wal'), 'not a directory')
    const failed = await spawnService({ DATA_DIR: dataDir }).then(
      () => undefined,
      (error: Error) => error.message,
    )
    expect(failed).toMatch(/exited with 1/)
    expect(failed).toMatch(/tally: failed to start: .*wal/)
    expect(failed).not.toMatch(/\n\s+at /)
  }, 60_000)
})
