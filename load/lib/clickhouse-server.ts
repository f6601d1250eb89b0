import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Starts a real `clickhouse-server` (Debian's package, ClickHouse 18.16) on free loopback
 * ports, with its config and data in a temp folder, for tests that need a server process they
 * can stop and start. Returns null when the binary is not installed.
 */

const BINARY = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find((path) => existsSync(path))

export type ClickHouseServer = {
  readonly url: string
  readonly dir: string
  /** The running server's process id (for CPU and memory figures); undefined when stopped. */
  pid(): number | undefined
  start(): Promise<void>
  /** Graceful stop (SIGTERM), waiting for the process to exit. */
  stop(): Promise<void>
  /** Stops and removes the temp folder. */
  dispose(): Promise<void>
}

export const clickHouseServerAvailable = (): boolean => BINARY !== undefined

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export type ServerOptions = {
  /** Ports chosen beforehand, when other servers' configs must name them (a cluster). */
  httpPort?: number
  tcpPort?: number
  /** XML placed inside the server's `<yandex>` root: remote_servers, macros, zookeeper. */
  extraConfig?: string
}

export async function startClickHouseServer(options: ServerOptions = {}): Promise<ClickHouseServer | null> {
  if (!BINARY) return null
  const binary = BINARY
  const dir = mkdtempSync(join(tmpdir(), 'tally-clickhouse-'))
  const httpPort = options.httpPort ?? (await freePort())
  const tcpPort = options.tcpPort ?? (await freePort())
  mkdirSync(join(dir, 'data'), { recursive: true })
  writeFileSync(join(dir, 'config.xml'), serverConfig(dir, httpPort, tcpPort, options.extraConfig ?? ''))
  writeFileSync(join(dir, 'users.xml'), USERS)
  const url = `http://127.0.0.1:${httpPort}`
  let child: ChildProcess | undefined

  const start = async () => {
    child = spawn(binary, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' })
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`clickhouse-server exited with ${child.exitCode}; see ${dir}`)
      try {
        const response = await fetch(`${url}/ping`)
        if (response.ok) return
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`clickhouse-server did not answer on ${url} within 30 s`)
  }

  const stop = async () => {
    const running = child
    if (!running || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGTERM')
      setTimeout(() => running.kill('SIGKILL'), 5_000).unref()
    })
  }

  await start()
  return {
    url,
    dir,
    pid: () => (child?.exitCode === null ? child.pid : undefined),
    start,
    stop,
    dispose: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const serverConfig = (dir: string, httpPort: number, tcpPort: number, extra: string) => `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <users_config>users.xml</users_config>
${extra}
</yandex>
`

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`
