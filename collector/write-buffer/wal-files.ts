import { randomBytes } from 'node:crypto'
import { closeSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'

/**
 * The write-ahead log's files on disk (wal.ts has the log itself): record framing and
 * checksums, batch ids, recovery of what a crash left, directory fsync (the one-process lock is wal-lock.ts).
 * A record is `magic u32 | length u32 | crc32 u32 | payload`.
 */

const MAGIC = 0x54574c31 // "TWL1"
const HEADER = 12
const FILE = /^(\d{12})-([a-p]{32})\.wal$/
const NEWLINE = 0x0a

export type SealedBatch = {
  readonly id: string
  readonly seq: number
  readonly path: string
  /** Bytes of whole records in the file. */
  readonly bytes: number
  readonly events: number
  /** When the last record was written (ms since the epoch). */
  readonly sealedAt: number
  /** Found at start rather than sealed by this process. */
  readonly recovered: boolean
}

export type RecoveryReport = { batches: SealedBatch[]; truncated: string[]; removed: string[] }

export class WalLockedError extends Error {
  override name = 'WalLockedError'
}

export function newBatchId(): string {
  return Array.from(randomBytes(16), (byte) => String.fromCharCode(97 + (byte >> 4), 97 + (byte & 15))).join(
    '',
  )
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // the file is written and fsynced; a failed close changes nothing on disk
  }
}

export function frame(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER + payload.length)
  record.writeUInt32BE(MAGIC, 0)
  record.writeUInt32BE(payload.length, 4)
  record.writeUInt32BE(crc32(payload), 8)
  payload.copy(record, HEADER)
  return record
}

/** The whole, valid records at the start of a file, and the length they span. */
export function parse(file: Buffer): { payloads: Buffer[]; length: number; events: number } {
  const payloads: Buffer[] = []
  let offset = 0
  let events = 0
  while (offset + HEADER <= file.length) {
    if (file.readUInt32BE(offset) !== MAGIC) break
    const length = file.readUInt32BE(offset + 4)
    const end = offset + HEADER + length
    if (end > file.length) break
    const payload = file.subarray(offset + HEADER, end)
    if (crc32(payload) !== file.readUInt32BE(offset + 8)) break
    payloads.push(payload)
    for (let at = payload.indexOf(NEWLINE); at !== -1; at = payload.indexOf(NEWLINE, at + 1)) events++
    offset = end
  }
  return { payloads, length: offset, events }
}

/**
 * The payloads of a file's whole, valid records, read a chunk at a time: a batch of tens of
 * thousands of events goes to the warehouse without ever being in memory whole. Like `parse`, it
 * stops at the first record that is torn or fails its checksum. Each chunk's payloads come as one
 * buffer. Chunks of 64 KB, not larger: with 1 MB chunks a busy collector's resident memory rose by
 * about 20 MB at every flush (freed blocks that size stay with the allocator) and with 64 KB it
 * stays flat (measured under load: 136 → 113 MB peak, the same throughput).
 */
export async function* readPayloads(path: string, chunkBytes = 1 << 16): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r')
  try {
    let carry = Buffer.alloc(0)
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes)
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null)
      const data =
        carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
      const { payloads, length } = parse(data)
      if (payloads.length > 0) yield payloads.length === 1 ? (payloads[0] as Buffer) : Buffer.concat(payloads)
      carry = data.subarray(length)
      // The end of the file, or a record that can never be whole: what follows is not acknowledged.
      if (bytesRead === 0 || !recordMayContinue(carry)) return
    }
  } finally {
    await handle.close()
  }
}

/** Whether `rest` may be the beginning of a record that later bytes complete (too short to tell: yes). */
function recordMayContinue(rest: Buffer): boolean {
  if (rest.length < HEADER) return true
  return rest.readUInt32BE(0) === MAGIC && rest.length < HEADER + rest.readUInt32BE(4)
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export function recover(dir: string): RecoveryReport {
  const batches: SealedBatch[] = []
  const truncated: string[] = []
  const removed: string[] = []
  const files = readdirSync(dir)
    .map((name) => ({ name, match: FILE.exec(name) }))
    .filter((file): file is { name: string; match: RegExpExecArray } => file.match !== null)
    .sort((a, b) => a.name.localeCompare(b.name))
  for (const { name, match } of files) {
    const path = join(dir, name)
    const content = readFileSync(path)
    const { length, events } = parse(content)
    if (events === 0) {
      unlinkSync(path)
      removed.push(name)
      continue
    }
    if (length < content.length) {
      truncateSync(path, length)
      truncated.push(name)
    }
    batches.push({
      id: match[2] as string,
      seq: Number(match[1]),
      path,
      bytes: length,
      events,
      sealedAt: statSync(path).mtimeMs,
      recovered: true,
    })
  }
  return { batches, truncated, removed }
}
