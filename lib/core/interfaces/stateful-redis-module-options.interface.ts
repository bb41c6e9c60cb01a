import type { ConfigurableModuleAsyncOptions, Type } from '@nestjs/common';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** Connection to a Redis Cluster that the module creates, owns and closes. */
export interface StatefulRedisClusterConnection {
  nodes: ClusterNode[];
  options?: ClusterOptions;
}

export interface StatefulRedisModuleOptions {
  /** URL (`redis://`, `rediss://`) or ioredis options; the module owns this connection and closes it on shutdown. */
  redis?: string | RedisOptions;
  /** A Redis Cluster; the module owns this connection and closes it on shutdown. */
  cluster?: StatefulRedisClusterConnection;
  /** A client the app already has (e.g. `RedisService.getOrThrow()`); the module never closes it. */
  client?: Redis | Cluster;
  /** First part of every key; default `sf` (the Java and Go implementations' default). */
  keyPrefix?: string;
  /** Pod states that `computeLinkedPodIfAbsent` may place new users on; default `['running']`. */
  routableStates?: string[];
  /** A call that gets no answer within this time fails with `TIMEOUT`; default 2000 ms. */
  commandTimeoutMs?: number;
  /** Startup waits this long for Redis, then fails with `REDIS_CONNECTION_ERROR`; default 10000 ms. */
  connectTimeoutMs?: number;
  /** Start the app without waiting for Redis; calls made before it is reachable wait or time out. Default `false`. */
  lazyConnect?: boolean;
  /** Bound of the health indicator's probe; default 1000 ms. */
  healthCheckTimeoutMs?: number;
  /** Log every operation at debug level (inputs, result, duration); default `false`. */
  logOperations?: boolean;
  /**
   * Per-operation Prometheus metrics: `true` (default) exports them to prom-client's default registry when
   * prom-client is installed, `{ registry }` to that registry, `false` turns them off.
   */
  metrics?: boolean | StatefulRedisMetricsOptions;
  /**
   * Answer `getLinkedPod` and `getLinkService` from process memory, kept coherent by Redis
   * (client tracking); off unless set, e.g. `{ maxEntries: 100000 }`. Writes always go to Redis.
   */
  nearCache?: StatefulRedisNearCacheOptions;
  /**
   * Pod liveness from pod reports: with it, `computeLinkedPodIfAbsent` never places a user on a pod whose last
   * report (`setServiceState`, `setPodWeight`, `heartbeat`) is older than `timeoutMs`. Off unless set.
   */
  podLiveness?: StatefulRedisPodLivenessOptions;
}

export interface StatefulRedisPodLivenessOptions {
  /** A pod whose last report is older than this (Redis time) gets no new user; pods never reporting liveness do. */
  timeoutMs: number;
  /** A pod silent this long may be swept (its links removed, the pod forgotten); at least `timeoutMs`. */
  sweepAfterMs?: number;
  /** Cron (with seconds) of the built-in sweep task of `sweepAfterMs`; the scheduler's default when absent. */
  sweepCron?: string;
}

export interface StatefulRedisNearCacheOptions {
  /** Most links (and link maps) kept; the least recently used go first. Default 100000. */
  maxEntries?: number;
}

export interface StatefulRedisMetricsOptions {
  /** A prom-client `Registry`; default: prom-client's default `register`. */
  registry?: StatefulRedisMetricsRegistry;
}

/** The part of a prom-client `Registry` the library uses (prom-client stays an optional dependency). */
export interface StatefulRedisMetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** Options with every default applied. */
export interface ResolvedStatefulRedisOptions
  extends
    Required<
      Pick<
        StatefulRedisModuleOptions,
        | 'keyPrefix'
        | 'routableStates'
        | 'commandTimeoutMs'
        | 'connectTimeoutMs'
        | 'lazyConnect'
        | 'healthCheckTimeoutMs'
        | 'logOperations'
        | 'metrics'
      >
    >,
    Pick<StatefulRedisModuleOptions, 'redis' | 'cluster' | 'client'> {
  /** Absent when the near-cache is off. */
  nearCache?: Required<StatefulRedisNearCacheOptions>;
  /** Absent when pod liveness is off. */
  podLiveness?: StatefulRedisPodLivenessOptions;
}

/** A class that makes the module options, for `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`. */
export interface StatefulRedisOptionsFactory {
  createStatefulRedisOptions(): StatefulRedisModuleOptions | Promise<StatefulRedisModuleOptions>;
}

/** The options of `StatefulRedisModule.forRootAsync`. */
export interface StatefulRedisModuleAsyncOptions extends ConfigurableModuleAsyncOptions<
  StatefulRedisModuleOptions,
  'createStatefulRedisOptions'
> {
  /** A class implementing `StatefulRedisOptionsFactory`, instantiated by the module. */
  useClass?: Type<StatefulRedisOptionsFactory>;
  /** A provider implementing `StatefulRedisOptionsFactory`, e.g. exported by one of `imports`. */
  useExisting?: Type<StatefulRedisOptionsFactory>;
  /** Default `true`: every module may inject its services without importing it; `false` limits them to importers. */
  isGlobal?: boolean;
}
