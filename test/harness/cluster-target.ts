import { Cluster, Redis } from 'ioredis';
import type { StatefulRedisModuleOptions } from '../../lib';
import { RedisCluster } from './redis-cluster';
import type { RedisTarget } from './redis-target';

/** Options for plain test clients of the cluster: fail fast rather than queue while a node is away. */
const RAW_CLUSTER_OPTIONS = {
  redisOptions: { maxRetriesPerRequest: 1 },
  retryDelayOnClusterDown: 100,
  retryDelayOnFailover: 100,
};

/**
 * A real Redis Cluster, 3 masters with 1 replica each, on free loopback ports. The module
 * connects to it with `cluster: { nodes }`; flushing and scanning go to every master.
 */
export class ClusterTarget implements RedisTarget {
  readonly name = 'cluster';
  cluster!: RedisCluster;
  /** The target's own client for flush and scan, so that tests may disconnect theirs. */
  private admin?: Cluster;

  async start(): Promise<void> {
    this.cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    const admin = this.rawClient();
    this.admin = admin;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the cluster admin client did not get ready within 10 s')),
        10_000,
      );
      admin.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  moduleOptions(): StatefulRedisModuleOptions {
    return { cluster: { nodes: this.cluster.nodes } };
  }

  rawClient(): Cluster {
    return new Cluster(this.cluster.nodes, RAW_CLUSTER_OPTIONS);
  }

  async flush(): Promise<void> {
    await Promise.all((await this.masters()).map((node) => node.flushall()));
  }

  async keys(pattern = '*'): Promise<string[]> {
    const perNode = await Promise.all(
      (await this.masters()).map(async (node) => {
        const found: string[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
          found.push(...keys);
          cursor = next;
        } while (cursor !== '0');
        return found;
      }),
    );
    // SCAN may return a key more than once (a hash table resized during the walk): each key counts once.
    return [...new Set(perNode.flat())].sort();
  }

  async stop(): Promise<void> {
    this.admin?.disconnect();
    await this.cluster?.dispose();
  }

  /** The masters as the admin client knows them. */
  private async masters(): Promise<Redis[]> {
    if (!this.admin) throw new Error('the cluster target is not started');
    return this.admin.nodes('master');
  }
}
