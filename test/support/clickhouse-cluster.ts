import {
  type ClickHouseServer,
  clickHouseServerAvailable,
  freePort,
  startClickHouseServer,
} from '../../load/lib/clickhouse-server.ts'
import { startZooKeeper, type ZooKeeper, zooKeeperAvailable } from './zookeeper.ts'

/**
 * A two-shard ClickHouse cluster on loopback: one ZooKeeper (for the `ON CLUSTER` DDL queue)
 * and two `clickhouse-server` processes, each its own shard with one replica, both listing the
 * cluster `CLUSTER_NAME` in `remote_servers` and their own `{shard}`/`{replica}` macros.
 */

export const CLUSTER_NAME = 'tally_test'

export type ClickHouseCluster = {
  readonly zookeeper: ZooKeeper
  /** One server per shard, in shard order (shard 1 first). */
  readonly nodes: readonly ClickHouseServer[]
  dispose(): Promise<void>
}

/** Why the cluster cannot start here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  const missing = [
    ...(clickHouseServerAvailable() ? [] : ['clickhouse-server']),
    ...(zooKeeperAvailable() ? [] : ['zookeeper']),
  ]
  return missing.length > 0
    ? `not installed: ${missing.join(', ')} (apt-get install ${missing.join(' ')})`
    : undefined
}

// internal_replication says whether a Distributed insert writes one replica and leaves the rest
// to replication (Replicated tables) or writes every replica itself. 18.16 also refuses
// `ALTER ... ON CLUSTER` on a table that is not Replicated when it is set.
const clusterConfig = (tcpPorts: number[], zookeeperPort: number, shard: number, replicated: boolean) => `
  <remote_servers>
    <${CLUSTER_NAME}>
${tcpPorts
  .map(
    (port) => `      <shard>
        <internal_replication>${replicated}</internal_replication>
        <replica><host>127.0.0.1</host><port>${port}</port></replica>
      </shard>`,
  )
  .join('\n')}
    </${CLUSTER_NAME}>
  </remote_servers>
  <zookeeper>
    <node><host>127.0.0.1</host><port>${zookeeperPort}</port></node>
    <session_timeout_ms>30000</session_timeout_ms>
  </zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <macros><shard>${shard}</shard><replica>r1</replica></macros>`

export async function startClickHouseCluster(
  options: { shards?: number; replicated?: boolean } = {},
): Promise<ClickHouseCluster | null> {
  const shards = options.shards ?? 2
  if (clusterUnavailable()) return null
  const zookeeper = await startZooKeeper()
  if (!zookeeper) return null
  const ports = await Promise.all(
    Array.from({ length: shards }, async () => ({ http: await freePort(), tcp: await freePort() })),
  )
  const nodes: ClickHouseServer[] = []
  try {
    for (const [index, port] of ports.entries()) {
      const node = await startClickHouseServer({
        httpPort: port.http,
        tcpPort: port.tcp,
        extraConfig: clusterConfig(
          ports.map((p) => p.tcp),
          zookeeper.port,
          index + 1,
          options.replicated ?? false,
        ),
      })
      if (!node) throw new Error('clickhouse-server is not installed')
      nodes.push(node)
    }
  } catch (error) {
    for (const node of nodes) await node.dispose()
    await zookeeper.stop()
    throw error
  }
  return {
    zookeeper,
    nodes,
    dispose: async () => {
      for (const node of nodes) await node.dispose()
      await zookeeper.stop()
    },
  }
}
