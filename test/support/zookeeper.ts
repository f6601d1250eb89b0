import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../load/lib/clickhouse-server.ts'

/**
 * A standalone ZooKeeper (Debian's `zookeeper` package, 3.8) on a free loopback port with its
 * data in a temp folder: ClickHouse 18.16 runs `ON CLUSTER` DDL through a queue kept there.
 * Returns null when the package or java is not installed.
 */

const JAR = '/usr/share/java/zookeeper.jar'
const JAVA = ['/usr/bin/java'].find((path) => existsSync(path))

export type ZooKeeper = { readonly port: number; readonly dir: string; stop(): Promise<void> }

export const zooKeeperAvailable = (): boolean => existsSync(JAR) && JAVA !== undefined

/** Answers ZooKeeper's `srvr` four-letter command, which a serving instance answers with its mode. */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write('srvr'))
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('error', () => resolve(false))
    socket.on('close', () => resolve(answer.includes('Mode: standalone')))
  })
}

export async function startZooKeeper(): Promise<ZooKeeper | null> {
  if (!zooKeeperAvailable() || !JAVA) return null
  const dir = mkdtempSync(join(tmpdir(), 'tally-zookeeper-'))
  mkdirSync(join(dir, 'data'))
  const port = await freePort()
  // The main class takes `port dataDir` and needs no config file; its admin web server would
  // want port 8080, so it is switched off.
  const child: ChildProcess = spawn(
    JAVA,
    [
      '-Xmx256m',
      '-Dzookeeper.admin.enableServer=false',
      '-Dzookeeper.4lw.commands.whitelist=srvr',
      '-cp',
      JAR,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      String(port),
      join(dir, 'data'),
    ],
    { stdio: 'ignore' },
  )
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
      })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`zookeeper exited with ${child.exitCode}`)
    if (await serving(port)) return { port, dir, stop }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`zookeeper did not serve on port ${port} within 30 s`)
}
