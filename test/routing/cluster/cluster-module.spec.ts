import { Test } from '@nestjs/testing';
import { Cluster } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ErrorCode,
  NO_POD,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
} from '../../../lib';
import { freePort } from '../../harness/free-port';
import { RedisCluster } from '../../harness/redis-cluster';
import { pollUntil } from '../../harness/wait';
import { silentLogger } from '../../harness/capturing-logger';
import { bootStatefulModule, compileStatefulModule } from '../../harness/stateful-app';

/*
 * The module's contract for Redis Cluster connections (SPEC "The NestJS module"): an owned
 * `cluster` is closed on shutdown, a borrowed `client` that is a `Cluster` is used and never
 * closed, and an unreachable cluster stops the app in bounded time, saying where it tried.
 */

const CONNECTION_NAME = 'sf-cluster-module-spec';

describe('StatefulRedisModule on a Redis Cluster', () => {
  let cluster: RedisCluster;

  before(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  });

  after(async () => {
    await cluster?.dispose();
  });

  /** Connections named `name` on every node, summed (each node lists only its own clients). */
  async function connectionsNamed(name: string): Promise<number> {
    let count = 0;
    for (const node of cluster.all) {
      const list = await node.cli('CLIENT', 'LIST');
      count += list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
    }
    return count;
  }

  /** Writes and reads back links of uids spread over every master, checked with a plain client. */
  async function assertWorksOnEveryMaster(service: StatefulExecutorService, raw: Cluster, prefix: string) {
    for (let i = 0; i < 12; i++) {
      const uid = `${prefix}-${i}`;
      assert.equal(await service.setLinkedPod('ns', uid, 'svc', i, -1), NO_POD);
      assert.equal(await raw.get(`sf:{ns:lk:${uid}}svc`), String(i));
      assert.equal(await service.getLinkedPod('ns', uid, 'svc'), i);
    }
    await service.setServiceState('ns', 'svc', 0, 'running');
    assert.equal(await service.computeLinkedPodIfAbsent('ns', `${prefix}-new`, 'svc', -1), 0);
  }

  it('an owned `cluster` connection: works, and every node connection is closed on app.close()', async () => {
    const raw = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const moduleRef = await bootStatefulModule({
        cluster: { nodes: cluster.nodes, options: { redisOptions: { connectionName: CONNECTION_NAME } } },
      });
      await assertWorksOnEveryMaster(moduleRef.get(StatefulExecutorService), raw, 'owned');
      assert.ok((await connectionsNamed(CONNECTION_NAME)) >= 3, 'connected to every master');
      await moduleRef.close();
      await pollUntil('every owned cluster connection to close', 10_000, async () => {
        const open = await connectionsNamed(CONNECTION_NAME);
        return open === 0 ? true : `${open} still open`;
      });
    } finally {
      raw.disconnect();
    }
  });

  it('a borrowed `client` that is a Cluster: used as is, health up, and left open on app.close()', async () => {
    const client = new Cluster(cluster.nodes, {
      redisOptions: { connectionName: 'app-cluster-client', maxRetriesPerRequest: 1 },
    });
    try {
      const moduleRef = await bootStatefulModule({ client });
      const service = moduleRef.get(StatefulExecutorService);
      await assertWorksOnEveryMaster(service, client, 'borrowed');
      const health = await moduleRef.get(StatefulRedisHealthIndicator).isHealthy('redis');
      assert.equal(health.redis.status, 'up', JSON.stringify(health));
      assert.equal(health.redis.scriptsLoaded, true);
      // 100 uids over every slot owner: the batch read goes through the borrowed client's slot map.
      const uids = Array.from({ length: 100 }, (_, i) => `batch-${i}`);
      for (const uid of uids) await service.setLinkedPod('ns', uid, 'svc', 7, -1);
      assert.deepEqual(await service.batchGetLinkedPod('ns', uids, 'svc'), { 7: uids });
      await moduleRef.close();
      assert.equal(client.status, 'ready');
      assert.equal(await client.get('sf:{ns:lk:borrowed-0}svc'), '0');
      assert.ok((await connectionsNamed('app-cluster-client')) >= 3, 'the app keeps its node connections');
      await assert.rejects(service.getLinkedPod('ns', 'borrowed-0', 'svc'), { code: ErrorCode.NOT_INITIALIZED });
    } finally {
      client.disconnect();
    }
  });

  it('an unreachable cluster: startup fails in bounded time with REDIS_CONNECTION_ERROR naming the nodes', async () => {
    const ports = [await freePort(), await freePort()];
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    const connectTimeoutMs = 1_500;
    const moduleRef = await compileStatefulModule({ cluster: { nodes }, connectTimeoutMs });
    const started = Date.now();
    await assert.rejects(moduleRef.init(), (error: unknown) => {
      const elapsedMs = Date.now() - started;
      assert.equal((error as { code?: string }).code, ErrorCode.REDIS_CONNECTION_ERROR, String(error));
      const message = (error as Error).message;
      for (const port of ports) {
        assert.ok(message.includes(`127.0.0.1:${port}`), `"${message}" should name 127.0.0.1:${port}`);
      }
      // Bounded: the connect timeout plus generous scheduling slack, never a hang.
      assert.ok(elapsedMs < connectTimeoutMs + 5_000, `failed after ${elapsedMs} ms`);
      return true;
    });
    await moduleRef.close();
  });

  it('forRootAsync: a borrowed Cluster from a factory, left open when the app closes', async () => {
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const borrowing = StatefulRedisModule.forRootAsync({ useFactory: async () => ({ client }) });
      const moduleRef = await Test.createTestingModule({ imports: [borrowing] })
        .setLogger(silentLogger)
        .compile();
      await moduleRef.init();
      try {
        await assertWorksOnEveryMaster(moduleRef.get(StatefulExecutorService), client, 'async');
      } finally {
        await moduleRef.close();
      }
      assert.equal(client.status, 'ready');
      assert.equal(await client.get('sf:{ns:lk:async-1}svc'), '1');
    } finally {
      client.disconnect();
    }
  });
});
