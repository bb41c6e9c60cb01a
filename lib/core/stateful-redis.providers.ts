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
import { StatefulRedisCore } from './stateful-redis-core';
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
  {
    provide: StatefulRedisCore,
    useFactory: (
      connection: RedisConnection,
      scripts: ScriptRunner,
      pipeline: OperationPipeline,
      options: ResolvedStatefulRedisOptions,
      metrics: OperationMetrics | null,
    ) => new StatefulRedisCore(connection, scripts, pipeline, options, metrics),
    inject: [RedisConnection, ScriptRunner, OperationPipeline, STATEFUL_REDIS_RESOLVED_OPTIONS, OperationMetrics],
  },
];

/**
 * What the core exports: `StatefulRedisCore`, the one way a feature reaches it, and the options as given (a public
 * token an app may inject).
 */
export const statefulRedisCoreExports = [StatefulRedisCore, STATEFUL_REDIS_MODULE_OPTIONS];
