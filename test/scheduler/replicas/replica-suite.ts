import { Cluster, Redis } from 'ioredis';
import { after, before } from 'node:test';
import type { StatefulRedisModuleOptions } from '../../../lib';
import { ClusterTarget } from '../../harness/cluster-target';
import { RedisServer } from '../../harness/redis-server';
import { ReplicaGroup } from '../../harness/replica-process';
import type { ReplicaConfig, ReplicaTaskSpec } from './replica-config';
import { FAST_MODULE_OPTIONS } from './replica-scenario';
import { SchedulerObserver } from './scheduler-observer';

/**
 * What a replica suite runs on, set up in `before` and torn down in `after` of the enclosing `describe`:
 * the Redis deployment, a plain client of it (`raw`), the test's `observer` of the namespace, and the
 * `group` of replica processes (all killed at the end).
 */
abstract class ReplicaSuite<Raw extends Redis | Cluster> {
  readonly group = new ReplicaGroup();
  private rawClient?: Raw;
  private observerApp?: SchedulerObserver;

  protected constructor(private readonly namespace: string) {
    before(async () => {
      await this.startRedis();
      this.rawClient = this.createRaw();
      this.observerApp = await SchedulerObserver.start(this.observerConnection(), namespace);
    });
    after(async () => {
      await this.group.stopAll();
      await this.observerApp?.close();
      this.rawClient?.disconnect();
      await this.stopRedis();
    });
  }

  get raw(): Raw {
    if (!this.rawClient) throw new Error('this suite has no plain client (or it is not started)');
    return this.rawClient;
  }

  get observer(): SchedulerObserver {
    if (!this.observerApp) throw new Error('the suite is not started');
    return this.observerApp;
  }

  /** A replica of the namespace on this Redis with FAST_MODULE_OPTIONS and `tasks`; `extra` overrides any of it. */
  config(instanceId: string, tasks: ReplicaTaskSpec[], extra: Partial<ReplicaConfig> = {}): ReplicaConfig {
    return {
      instanceId,
      namespace: this.namespace,
      ...this.replicaConnection(),
      module: FAST_MODULE_OPTIONS,
      tasks,
      ...extra,
    };
  }

  protected abstract startRedis(): Promise<void>;
  protected abstract stopRedis(): Promise<void>;
  protected abstract createRaw(): Raw | undefined;
  protected abstract observerConnection(): StatefulRedisModuleOptions;
  protected abstract replicaConnection(): Pick<ReplicaConfig, 'redis' | 'cluster'>;
}

/** Replicas on a private redis-server. */
class StandaloneReplicaSuite extends ReplicaSuite<Redis> {
  private redisServer?: RedisServer;

  constructor(
    namespace: string,
    private readonly rawOf: false | ((server: RedisServer) => Redis),
  ) {
    super(namespace);
  }

  get server(): RedisServer {
    if (!this.redisServer) throw new Error('the suite is not started');
    return this.redisServer;
  }

  protected async startRedis(): Promise<void> {
    this.redisServer = await RedisServer.start();
  }

  protected async stopRedis(): Promise<void> {
    await this.redisServer?.dispose();
  }

  protected createRaw(): Redis | undefined {
    return this.rawOf ? this.rawOf(this.server) : undefined;
  }

  protected observerConnection(): StatefulRedisModuleOptions {
    return { redis: this.server.url };
  }

  protected replicaConnection(): Pick<ReplicaConfig, 'redis'> {
    return { redis: this.server.url };
  }
}

/** Replicas on a Redis Cluster of 3 masters with 1 replica each. */
class ClusterReplicaSuite extends ReplicaSuite<Cluster> {
  readonly target = new ClusterTarget();

  constructor(namespace: string) {
    super(namespace);
  }

  protected startRedis(): Promise<void> {
    return this.target.start();
  }

  protected stopRedis(): Promise<void> {
    return this.target.stop();
  }

  protected createRaw(): Cluster {
    return this.target.rawClient();
  }

  protected observerConnection(): StatefulRedisModuleOptions {
    return this.target.moduleOptions();
  }

  protected replicaConnection(): Pick<ReplicaConfig, 'cluster'> {
    return { cluster: this.target.cluster.nodes };
  }
}

/**
 * Call inside `describe`: a redis-server for the suite, with a plain client made by `raw` (default: a
 * default ioredis client; `false`: none).
 */
export function useStandaloneReplicas(
  namespace: string,
  options: { raw?: false | ((server: RedisServer) => Redis) } = {},
): StandaloneReplicaSuite {
  return new StandaloneReplicaSuite(namespace, options.raw ?? ((server) => new Redis(server.port, server.host)));
}

/** Call inside `describe`: a Redis Cluster for the suite, with the cluster target's plain client. */
export function useClusterReplicas(namespace: string): ClusterReplicaSuite {
  return new ClusterReplicaSuite(namespace);
}
