import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, WalError, WriteAheadLog } from '../../collector/write-buffer/wal.ts'
import { readPayloads } from '../../collector/write-buffer/wal-files.ts'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-wal-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const collect = async (chunks: AsyncIterable<Buffer>): Promise<Buffer> => {
  const parts: Buffer[] = []
  for await (const chunk of chunks) parts.push(chunk)
  return Buffer.concat(parts)
}
const rowJson = (n: number) => JSON.stringify({ path: `/p/${n}`, type: 'pageview' })

describe('the write-ahead log', () => {
  it('group-commits: many concurrent appends share a few fsyncs', async () => {
    const commits: number[] = []
    const { wal } = WriteAheadLog.open({
      dir: tempDir(),
      maxBytes: 64 << 20,
      onCommit: (appends) => commits.push(appends),
    })
    await Promise.all(Array.from({ length: 500 }, (_, n) => wal.append([rowJson(n)])))
    expect(commits.reduce((a, b) => a + b, 0)).toBe(500)
    expect(commits.length).toBeLessThan(50)
    const sealed = await wal.seal()
    expect(sealed?.events).toBe(500)
    await wal.close()
  })

  /** A log that counts its commits and fsyncs. */
  const countingLog = (dir: string, syncIntervalMs: number) => {
    const counts = { commits: 0, syncs: 0 }
    const { wal } = WriteAheadLog.open({
      dir,
      maxBytes: 64 << 20,
      syncIntervalMs,
      onCommit: () => counts.commits++,
      onSync: () => counts.syncs++,
    })
    return { wal, counts }
  }

  it('with WAL_FSYNC_MS 0, fsyncs every commit before its appends resolve', async () => {
    const { wal, counts } = countingLog(tempDir(), 0)
    for (let n = 0; n < 5; n++) await wal.append([rowJson(n)])
    expect(counts).toEqual({ commits: 5, syncs: 5 })
    await wal.close()
  })

  it('with WAL_FSYNC_MS n, answers after the write and fsyncs on the interval and at the seal', async () => {
    const dir = tempDir()
    const { wal, counts } = countingLog(dir, 150)
    for (let n = 0; n < 20; n++) await wal.append([rowJson(n)])
    expect(counts).toEqual({ commits: 20, syncs: 0 })
    // Written: a process that dies now leaves every record to the next start.
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.wal'))
    expect(parse(readFileSync(join(dir, file as string))).events).toBe(20)
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 400))
    await sleep()
    expect(counts.syncs).toBeGreaterThanOrEqual(1)
    // On a busy machine the appends can span two intervals, and the second fsync can still be
    // running: wait until a whole wait passes without one (an interval that fsynced with nothing
    // new to sync would never let it settle).
    let settled = -1
    for (let tries = 0; tries < 10 && settled !== counts.syncs; tries++) {
      settled = counts.syncs
      await sleep()
    }
    const afterInterval = counts.syncs
    expect(afterInterval).toBe(settled)
    // Nothing new: the interval has nothing to fsync.
    await sleep()
    expect(counts.syncs).toBe(afterInterval)
    await wal.append([rowJson(99)])
    const sealed = await wal.seal()
    expect(sealed?.events).toBe(21)
    expect(counts.syncs).toBe(afterInterval + 1)
    await wal.close()
  })

  it('resolves sequential appends one after another (no append waits on a finished drain)', async () => {
    const { wal } = WriteAheadLog.open({ dir: tempDir(), maxBytes: 64 << 20 })
    for (let n = 0; n < 50; n++) await wal.append([rowJson(n)])
    expect(wal.openEvents).toBe(50)
    await wal.close()
  })

  it('stores each batch as the body of its INSERT, every row tagged with the batch id', async () => {
    const dir = tempDir()
    const { wal } = WriteAheadLog.open({ dir, maxBytes: 64 << 20 })
    await wal.append([rowJson(1), rowJson(2)])
    const sealed = await wal.seal()
    if (!sealed) throw new Error('nothing sealed')
    const body = (await collect(wal.body(sealed))).toString()
    expect(
      body
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { batch_id: sealed.id, path: '/p/1', type: 'pageview' },
      { batch_id: sealed.id, path: '/p/2', type: 'pageview' },
    ])
    await wal.close()
  })

  it('recovers whole records and cuts a torn tail off', async () => {
    const dir = tempDir()
    const first = WriteAheadLog.open({ dir, maxBytes: 64 << 20 }).wal
    await first.append([rowJson(1)])
    await first.append([rowJson(2), rowJson(3)])
    const sealed = await first.seal()
    await first.close()
    if (!sealed) throw new Error('nothing sealed')
    const whole = statSync(sealed.path).size
    // A crash in the middle of a write: half a record, then garbage.
    appendFileSync(sealed.path, Buffer.from([0x54, 0x57, 0x4c, 0x31, 0, 0, 0, 99, 1, 2]))
    const { wal, recovered } = WriteAheadLog.open({ dir, maxBytes: 64 << 20 })
    expect(recovered.batches.map((batch) => [batch.id, batch.events, batch.recovered])).toEqual([
      [sealed.id, 3, true],
    ])
    expect(recovered.truncated).toEqual([sealed.path.split('/').at(-1)])
    expect(statSync(sealed.path).size).toBe(whole)
    expect(wal.bytes).toBe(whole)
    await wal.close()
  })

  it('stops at a record whose checksum does not match', () => {
    const dir = tempDir()
    const name = `000000000001-${'a'.repeat(32)}.wal`
    const payload = Buffer.from('{"a":1}\n')
    const record = Buffer.alloc(12 + payload.length)
    record.writeUInt32BE(0x54574c31, 0)
    record.writeUInt32BE(payload.length, 4)
    record.writeUInt32BE(12345, 8) // wrong checksum
    payload.copy(record, 12)
    writeFileSync(join(dir, name), record)
    expect(parse(readFileSync(join(dir, name)))).toEqual({ payloads: [], length: 0, events: 0 })
    const { recovered } = WriteAheadLog.open({ dir, maxBytes: 1 << 20 })
    expect(recovered.batches).toEqual([])
    expect(recovered.removed).toEqual([name])
  })

  it('streams a batch in chunks smaller than its records, the same bytes as read whole', async () => {
    const dir = tempDir()
    const { wal } = WriteAheadLog.open({ dir, maxBytes: 64 << 20 })
    for (let n = 0; n < 50; n++) await wal.append([rowJson(n), rowJson(n + 1000)])
    const sealed = await wal.seal()
    await wal.close()
    if (!sealed) throw new Error('nothing sealed')
    const whole = Buffer.concat(parse(readFileSync(sealed.path)).payloads)
    expect(whole.toString().split('\n').filter(Boolean)).toHaveLength(100)
    // Chunk sizes below the record header, inside a record, and across several records.
    for (const chunkBytes of [5, 13, 64, 1000, 1 << 20]) {
      expect((await collect(readPayloads(sealed.path, chunkBytes))).equals(whole)).toBe(true)
    }
  })

  it('streams nothing past a torn or corrupt record', async () => {
    const dir = tempDir()
    const { wal } = WriteAheadLog.open({ dir, maxBytes: 64 << 20 })
    await wal.append([rowJson(1)])
    await wal.append([rowJson(2)])
    const sealed = await wal.seal()
    await wal.close()
    if (!sealed) throw new Error('nothing sealed')
    const good = readFileSync(sealed.path)
    const expected = Buffer.concat(parse(good).payloads)
    // Half a record at the end, as a crash mid-write leaves it.
    appendFileSync(sealed.path, Buffer.from([0x54, 0x57, 0x4c, 0x31, 0, 0, 0, 99, 1, 2]))
    for (const chunkBytes of [7, 1 << 20]) {
      expect((await collect(readPayloads(sealed.path, chunkBytes))).equals(expected)).toBe(true)
    }
    // A flipped byte in the second record's payload: only the first record is sent.
    const corrupt = Buffer.from(good)
    const at = corrupt.length - 3
    corrupt.writeUInt8(corrupt.readUInt8(at) ^ 0xff, at)
    writeFileSync(sealed.path, corrupt)
    const first = parse(good).payloads[0] as Buffer
    for (const chunkBytes of [7, 1 << 20]) {
      expect((await collect(readPayloads(sealed.path, chunkBytes))).equals(first)).toBe(true)
    }
  })

  it('refuses appends past its size limit, and nothing of them is written', async () => {
    const { wal } = WriteAheadLog.open({ dir: tempDir(), maxBytes: 300 })
    await wal.append([rowJson(1)])
    const before = wal.bytes
    await expect(wal.append(Array.from({ length: 20 }, (_, n) => rowJson(n)))).rejects.toMatchObject({
      code: 'full',
    })
    expect(wal.bytes).toBe(before)
    await wal.close()
  })

  it('refuses appends once closed', async () => {
    const { wal } = WriteAheadLog.open({ dir: tempDir(), maxBytes: 1 << 20 })
    await wal.close()
    await expect(wal.append([rowJson(1)])).rejects.toBeInstanceOf(WalError)
  })
})
