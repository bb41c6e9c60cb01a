import type { Provider } from '@nestjs/common';
import { ConnectionLifecycle } from './connection/connection.lifecycle';
import { RedisConnection } from './connection/redis-connection';
import type {
  ResolvedStatefulRedisOptions,
  StatefulRedisModuleOptions,
} from './interfaces/stateful-redis-module-options.interface';
import { createOperationMetrics } from './metrics/operation-metrics.factory';
import { OperationMetrics } from './metrics/operation-metrics';
import { OperationPipeline } from './operations/operation-pipeline';
import { resolveOptions } from './options/resolve-options';
import { ScriptRunner } from './scripts/script-runner';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from './stateful-redis.constants';
import { STATEFUL_REDIS_MODULE_OPTIONS } from './stateful-redis.module-definition';

/**
 * The core's providers: validated options (a bad option stops the app here), the connection, the scripts, the pipeline.
 */
export const statefulRedisCoreProviders: Provider[] = [
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
    provide: OperationMetrics,
    useFactory: (options: ResolvedStatefulRedisOptions) => createOperationMetrics(options.metrics),
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS],
  },
  ConnectionLifecycle,
  OperationPipeline,
];

/** What every feature module may inject from the core. */
export const statefulRedisCoreExports = [
  STATEFUL_REDIS_MODULE_OPTIONS,
  STATEFUL_REDIS_RESOLVED_OPTIONS,
  RedisConnection,
  ScriptRunner,
  OperationMetrics,
  ConnectionLifecycle,
  OperationPipeline,
];
