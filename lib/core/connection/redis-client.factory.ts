import { Cluster, Redis, RedisOptions } from 'ioredis';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';
import { coalesceWrites } from './write-coalescing';

const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Settings that make faults short and visible: a command waiting for a lost connection is
 * retried once after a reconnect attempt, then rejected, instead of queueing without bound.
 * The app's own ioredis options win over these.
 */
function faultTolerantDefaults(options: ResolvedStatefulRedisOptions): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.min(options.connectTimeoutMs, 10_000),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), MAX_RECONNECT_DELAY_MS),
    // After a failover the old master turns replica: reconnect so that Sentinel finds the new one.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
    // A command whose reply was lost with the connection may have run: sending it again after the reconnect would
    // run a script twice (a trigger run twice, an addTask refused as existing). It fails instead (outcome unknown).
    autoResendUnfulfilledCommands: false,
  };
}

/** Creates the connection the module owns, not yet connected; commands sent in one tick leave in one write. */
export function createOwnedClient(options: ResolvedStatefulRedisOptions): Redis | Cluster {
  const client = createClient(options);
  coalesceWrites(client);
  return client;
}

function createClient(options: ResolvedStatefulRedisOptions): Redis | Cluster {
  const defaults = faultTolerantDefaults(options);
  if (options.cluster) {
    const clusterOptions = options.cluster.options ?? {};
    return new Cluster(options.cluster.nodes, {
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      ...clusterOptions,
      lazyConnect: true,
      redisOptions: { ...defaults, ...clusterOptions.redisOptions },
    });
  }
  if (typeof options.redis === 'string') {
    return new Redis(options.redis, { ...defaults, lazyConnect: true });
  }
  return new Redis({ ...defaults, ...options.redis, lazyConnect: true });
}
