import type { Provider } from '@nestjs/common';
import { RedisConnection } from '../core/connection/redis-connection';
import { ErrorCode } from '../core/errors/error-code';
import { StatefulError } from '../core/errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import { OperationPipeline } from '../core/operations/operation-pipeline';
import { ScriptRunner } from '../core/scripts/script-runner';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../core/stateful-redis.constants';
import { DISTRIBUTED_SCHEDULE_MODULE_OPTIONS } from './distributed-schedule.module-definition';
import type {
  DistributedScheduleModuleOptions,
  ResolvedDistributedScheduleOptions,
} from './interfaces/distributed-schedule-module-options.interface';
import { createSchedulerMetrics, type SchedulerMetrics } from './metrics/scheduler-metrics';
import { resolveScheduleOptions } from './options/resolve-schedule-options';
import { ChangeSubscriber } from './runtime/change-subscriber';
import { SchedulerCore } from './runtime/scheduler-core';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_FEATURE, SCHEDULER_METRICS } from './scheduler.constants';
import { SchedulerStore } from './store/scheduler-store';

const optional = (token: unknown) => ({ token: token as string, optional: true });

/**
 * The scheduler's providers besides its services: options validated once (a bad option stops the app), the
 * core of `StatefulRedisModule` (a clear stop when it is missing), the store on the core's connection with its
 * scripts registered in the core's runner (before the core preloads them at init), the subscriber to the store's
 * change channel, and the metrics in the registry of the core's `metrics` option.
 */
export const distributedScheduleProviders: Provider[] = [
  {
    provide: DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS,
    useFactory: (options: DistributedScheduleModuleOptions) => resolveScheduleOptions(options),
    inject: [DISTRIBUTED_SCHEDULE_MODULE_OPTIONS],
  },
  {
    provide: SchedulerCore,
    useFactory: (
      connection?: RedisConnection,
      scripts?: ScriptRunner,
      pipeline?: OperationPipeline,
      options?: ResolvedStatefulRedisOptions,
    ) => {
      if (!connection || !scripts || !pipeline || !options) {
        throw new StatefulError(
          ErrorCode.NOT_INITIALIZED,
          'DistributedScheduleModule uses the Redis connection of StatefulRedisModule, ' +
            'which this application does not import: add StatefulRedisModule.forRoot(...) or ' +
            'StatefulRedisModule.forRootAsync(...) to its imports',
          { operation: 'DistributedScheduleModule' },
        );
      }
      return new SchedulerCore(connection, scripts, pipeline, options);
    },
    inject: [
      optional(RedisConnection),
      optional(ScriptRunner),
      optional(OperationPipeline),
      optional(STATEFUL_REDIS_RESOLVED_OPTIONS),
    ],
  },
  {
    provide: SchedulerStore,
    useFactory: (
      options: ResolvedDistributedScheduleOptions,
      core: SchedulerCore,
      metrics: SchedulerMetrics | null,
    ) => {
      core.scripts.register(SchedulerStore.SCRIPTS);
      return new SchedulerStore(core.scripts, core.connection.client, core.options.keyPrefix, options.namespace, {
        instanceId: options.instanceId,
        historyLength: options.historyLength,
        lookAheadMs: options.lookAheadMs,
        send: core.pipeline.forFeature(SCHEDULER_FEATURE),
        // Within the call's own deadline: a slot moves in well under that, or the call fails clearly.
        reshardingRetryMs: core.options.commandTimeoutMs,
        onReshardingRetry: (operation) => metrics?.reshardingRetry(options.namespace, operation),
      });
    },
    inject: [DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SchedulerCore, SCHEDULER_METRICS],
  },
  {
    provide: ChangeSubscriber,
    useFactory: (core: SchedulerCore, store: SchedulerStore) =>
      new ChangeSubscriber(core.connection.client, store.changedChannel),
    inject: [SchedulerCore, SchedulerStore],
  },
  {
    provide: SCHEDULER_METRICS,
    useFactory: (core: SchedulerCore) => createSchedulerMetrics(core.options.metrics),
    inject: [SchedulerCore],
  },
];
