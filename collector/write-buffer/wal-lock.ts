import { spawnSync } from 'node:child_process'
import { lstatSync, unlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { relative } from 'node:path'
import { WalLockedError } from './wal-files.ts'

/**
 * One process per write-ahead log, judged by the kernel rather than by a pid: the `LOCK` file is
 * a Unix socket that the owner listens on. When the owner ends, however it ends (`kill -9`, a
 * crash, a zombie not yet reaped: its sockets are closed when it exits), the kernel refuses
 * connections to it, so a dead owner never blocks a start, whatever process now has its pid.
 * Binding is atomic: two processes cannot both listen on one path.
 *
 * A live owner answers a connection with its pid, which names it in the refusal. The socket
 * lives in `DATA_DIR`, so processes sharing that directory through a mounted volume (containers
 * with their own pid and network namespaces) still see each other.
 *
 * Taking over a dead owner's socket unlinks it and binds again: should two processes start on the
 * same directory in the same instant after a crash, both could find it dead and the second could
 * unlink the first's new socket. The file's identity is checked just before the unlink, which
 * narrows that window to microseconds; one DATA_DIR per process is the rule the refusal enforces.
 */

export type HeldLock = {
  /** Stops listening and removes the socket, if it is still ours. */
  release(): void
}

// A socket's path is limited to 107 bytes; a long DATA_DIR is reached through a relative path.
const MAX_SOCKET_PATH = 100

type Probe = { state: 'live'; pid: number | undefined } | { state: 'dead' }

// Connecting is asynchronous in Node, and opening the log is synchronous (a log that cannot be
// opened stops the start with a clear error), so the probe runs in a short-lived child process.
// It runs only when a LOCK exists: after a crash, or when another process owns the log.
const PROBE = `
const net = require('node:net')
const socket = net.createConnection(process.argv[1])
let pid = ''
let live = false
const done = (result) => { process.stdout.write(JSON.stringify(result)); process.exit(0) }
socket.on('connect', () => { live = true; setTimeout(() => done({ state: 'live' }), 2000).unref() })
socket.on('data', (chunk) => { pid += chunk })
socket.on('end', () => done({ state: 'live', pid: Number(pid) || undefined }))
socket.on('error', (error) => live ? done({ state: 'live' })
  : ['ECONNREFUSED', 'ENOENT', 'ENOTSOCK'].includes(error.code) ? done({ state: 'dead' })
  : done({ state: 'error', code: error.code }))
setTimeout(() => done({ state: 'live' }), 5000).unref()
`

function probe(path: string): Probe {
  const result = spawnSync(process.execPath, ['-e', PROBE, path], { encoding: 'utf8', timeout: 10_000 })
  const answer = JSON.parse(result.stdout || '{"state":"error","code":"no answer"}') as
    | Probe
    | { state: 'error'; code: string }
  if (answer.state === 'error') throw new Error(`could not check the lock ${path}: ${answer.code}`)
  return answer
}

const socketPath = (path: string): string => {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path
  const near = relative(process.cwd(), path)
  if (Buffer.byteLength(near) <= MAX_SOCKET_PATH) return near
  throw new Error(
    `the write-ahead log's LOCK path is too long for a socket (${path}): use a shorter DATA_DIR`,
  )
}

/**
 * Listens on `path`, synchronously: for a Unix socket, `listen` binds before it returns and
 * `listening` says whether it did (a failure is only reported as an event on the next tick).
 * `exclusive`: a worker of a cluster binds the socket itself rather than through the primary.
 */
function listenNow(path: string): Server | undefined {
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    socket.on('error', () => {})
    socket.end(String(process.pid))
  })
  server.on('error', () => {})
  server.listen({ path: socketPath(path), exclusive: true })
  if (!server.listening) {
    server.close()
    return undefined
  }
  // The lock must not keep the process alive on its own.
  server.unref()
  return server
}

const inode = (path: string): number | undefined => {
  try {
    return lstatSync(path).ino
  } catch {
    return undefined
  }
}

// Locks this process holds: its own event loop cannot answer a probe while the probe runs.
const held = new Set<string>()

const lockedBy = (dir: string, pid: number | string) =>
  new WalLockedError(
    `the write-ahead log in ${dir} is in use by process ${pid}; give each Tally process its own DATA_DIR`,
  )

/** Takes the lock at `path`, or throws WalLockedError naming the live process that holds it. */
export function takeLock(path: string): HeldLock {
  const dir = path.slice(0, -'/LOCK'.length)
  if (held.has(path)) throw lockedBy(dir, process.pid)
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = listenNow(path)
    if (server) {
      const ours = inode(path)
      held.add(path)
      return {
        release() {
          held.delete(path)
          server.close()
          // libuv removes the socket file on close; only ours, should a successor have bound one.
          if (ours !== undefined && inode(path) === ours) {
            try {
              unlinkSync(path)
            } catch {
              // gone already
            }
          }
        },
      }
    }
    const before = inode(path)
    if (before === undefined) continue
    const owner = probe(path)
    if (owner.state === 'live') throw lockedBy(dir, owner.pid ?? 'unknown')
    // A dead owner's socket, or a LOCK file an earlier version wrote its pid into.
    if (inode(path) === before) {
      try {
        unlinkSync(path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
  }
  throw new WalLockedError(
    `the write-ahead log in ${dir} could not be locked: another process keeps taking it`,
  )
}
