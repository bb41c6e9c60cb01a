import type { Provider } from '@nestjs/common';
import { optionalCore, requireCore, type StatefulRedisCore } from '../core/stateful-redis-core';
import { DISTRIBUTED_SCHEDULE_MODULE_OPTIONS } from './distributed-schedule.module-definition';
import type {
  DistributedScheduleModuleOptions,
  ResolvedDistributedScheduleOptions,
} from './interfaces/distributed-schedule-module-options.interface';
import { createSchedulerMetrics, type SchedulerMetrics } from './metrics/scheduler-metrics';
import { resolveScheduleOptions } from './options/resolve-schedule-options';
import { ChangeSubscriber } from './runtime/change-subscriber';
import {
  DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS,
  SCHEDULER_CORE,
  SCHEDULER_FEATURE,
  SCHEDULER_METRICS,
} from './scheduler.constants';
import { SchedulerStore } from './store/scheduler-store';

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
    provide: SCHEDULER_CORE,
    useFactory: (core: StatefulRedisCore | null) => requireCore('DistributedScheduleModule', core),
    inject: [optionalCore],
  },
  {
    provide: SchedulerStore,
    useFactory: (
      options: ResolvedDistributedScheduleOptions,
      core: StatefulRedisCore,
      metrics: SchedulerMetrics | null,
    ) => {
      const scripts = core.scripts.register(SchedulerStore.SCRIPTS);
      return new SchedulerStore(scripts, core.connection.client, core.options.keyPrefix, options.namespace, {
        instanceId: options.instanceId,
        historyLength: options.historyLength,
        lookAheadMs: options.lookAheadMs,
        send: core.pipeline.forFeature(SCHEDULER_FEATURE),
        // Within the call's own deadline: a slot moves in well under that, or the call fails clearly.
        reshardingRetryMs: core.options.commandTimeoutMs,
        onReshardingRetry: (operation) => metrics?.reshardingRetry(options.namespace, operation),
      });
    },
    inject: [DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_CORE, SCHEDULER_METRICS],
  },
  {
    provide: ChangeSubscriber,
    useFactory: (core: StatefulRedisCore, store: SchedulerStore) =>
      new ChangeSubscriber(core.connection.client, store.changedChannel),
    inject: [SCHEDULER_CORE, SchedulerStore],
  },
  {
    provide: SCHEDULER_METRICS,
    useFactory: (core: StatefulRedisCore) => createSchedulerMetrics(core.options.metrics),
    inject: [SCHEDULER_CORE],
  },
];
