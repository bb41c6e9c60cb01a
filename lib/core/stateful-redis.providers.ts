import type { Provider } from '@nestjs/common';
import { RedisConnection } from './connection/redis-connection';
import type {
  ResolvedStatefulRedisOptions,
  StatefulRedisModuleOptions,
} from './interfaces/stateful-redis-module-options.interface';
import { createOperationMetrics } from './metrics/operation-metrics.factory';
import { OperationMetrics } from './metrics/operation-metrics';
import { NearCache } from '../routing/near-cache/near-cache';
import { resolveOptions } from './options/resolve-options';
import { ScriptRunner } from './scripts/script-runner';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from './stateful-redis.constants';
import { STATEFUL_REDIS_MODULE_OPTIONS } from '../stateful-redis.module-definition';

/** Internal providers: validated options (a bad option stops the app here), the connection, the scripts. */
export const statefulRedisProviders: Provider[] = [
  {
    provide: STATEFUL_REDIS_RESOLVED_OPTIONS,
    useFactory: (options: StatefulRedisModuleOptions) => resolveOptions(options),
    inject: [STATEFUL_REDIS_MODULE_OPTIONS],
  },
  {
    provide: RedisConnection,
    useFactory: (options: ResolvedStatefulRedisOptions) => new RedisConnection(options),
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS],
  },
  {
    provide: ScriptRunner,
    useFactory: (connection: RedisConnection) => new ScriptRunner(connection.client),
    inject: [RedisConnection],
  },
  {
    provide: NearCache,
    useFactory: (options: ResolvedStatefulRedisOptions, connection: RedisConnection) =>
      options.nearCache ? new NearCache({ maxEntries: options.nearCache.maxEntries, keyPrefix: options.keyPrefix, connectTimeoutMs: options.connectTimeoutMs }, connection) : null,
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS, RedisConnection],
  },
  {
    provide: OperationMetrics,
    useFactory: (options: ResolvedStatefulRedisOptions) => createOperationMetrics(options.metrics),
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS],
  },
];
