import { readdirSync, statSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts'
import { CLUSTER_NAME } from '../support/clickhouse-cluster.ts'
import { CHROME_UA } from '../support/http.ts'

/** What the cluster test does to the service and the nodes: send as a visitor, query a node, list files. */

export type Sent = { accepted: number; statuses: Map<number, number>; paths: string[] }

/** Posts one pageview a request over a keep-alive socket, as visitor `v` (its address comes
 * through the trusted proxy header), and records which were answered 202. */
export async function send(url: string, visitor: number, count: number, prefix: string, sent: Sent) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  for (let n = 0; n < count; n++) {
    const path = `/${prefix}/v${'abcdefghijklmnopqrstuvwxyz'[visitor]}/p${'abcdefghijklmnopqrstuvwxyz'[n]}`
    const body = JSON.stringify({ type: 'pageview', site: 'demo', url: `http://localhost:8787${path}` })
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/api/event`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': CHROME_UA,
            'x-forwarded-for': `198.51.100.${visitor + 1}`,
          },
        },
        (res) => {
          res.resume()
          res.once('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.once('error', reject)
      req.end(body)
    })
    sent.statuses.set(status, (sent.statuses.get(status) ?? 0) + 1)
    if (status === 202) {
      sent.accepted++
      sent.paths.push(path)
    }
  }
  agent.destroy()
}

export async function query<T>(url: string, sql: string): Promise<T[]> {
  const response = await fetch(
    `${url}/?database=tally&query=${encodeURIComponent(`${sql} FORMAT JSONEachRow`)}`,
    {
      method: 'POST',
    },
  )
  const text = await response.text()
  if (!response.ok) throw new Error(`${response.status}: ${text}`)
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T)
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Tally's own warehouse connection to one node of the test cluster. */
export function openClusterWarehouse(url: string, database: string, replicated: boolean): Promise<Warehouse> {
  return openWarehouse({
    kind: 'server',
    url,
    username: 'default',
    password: '',
    database,
    cluster: { name: CLUSTER_NAME, replicated },
  })
}
