import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ScheduleExplorer } from './discovery/schedule.explorer';
import {
  DISTRIBUTED_SCHEDULE_MODULE_OPTIONS,
  DISTRIBUTED_SCHEDULE_OPTIONS_TYPE,
  DistributedScheduleConfigurableModule,
} from './distributed-schedule.module-definition';
import { distributedScheduleProviders } from './distributed-schedule.providers';
import { DistributedSchedulerHealthIndicator } from './distributed-scheduler.health';
import { DistributedSchedulerService } from './distributed-scheduler.service';
import type { DistributedScheduleModuleAsyncOptions } from './interfaces/distributed-schedule-module-options.interface';
import { DeadPodSweeper } from './pod-sweep/dead-pod-sweeper';
import { DeclaredTasksSync } from './runtime/declared-tasks.sync';
import { RedisClock } from './runtime/redis-clock';
import { RunExecutor } from './runtime/run.executor';
import { RunFinisher } from './runtime/run.finisher';
import { RunLeaseKeeper } from './runtime/run-lease.keeper';
import { SchedulerLoop } from './runtime/scheduler-loop';
import { WakeSignal } from './runtime/wake.signal';
import { WorkflowRegistry } from './runtime/workflow-registry';

/**
 * `DistributedScheduleModule.forRoot(options)` /
 * `.forRootAsync({ imports, inject, useFactory | useClass | useExisting })`, global unless `isGlobal: false`. Cron
 * tasks and workflows on the Redis connection of `StatefulRedisModule` (import it beside this one; no second Redis
 * configuration): `@DistributedCron` and `@ScheduledWorkflow` methods are found at init, the replica starts looking
 * for due fires on application bootstrap and drains on shutdown.
 * Provides `DistributedSchedulerService` and `DistributedSchedulerHealthIndicator`.
 */
@Module({
  imports: [DiscoveryModule, TerminusModule],
  providers: [
    ...distributedScheduleProviders,
    WorkflowRegistry,
    ScheduleExplorer,
    DeclaredTasksSync,
    WakeSignal,
    RedisClock,
    RunLeaseKeeper,
    RunFinisher,
    RunExecutor,
    SchedulerLoop,
    DistributedSchedulerService,
    DistributedSchedulerHealthIndicator,
    DeadPodSweeper,
  ],
  exports: [DistributedSchedulerService, DistributedSchedulerHealthIndicator, DISTRIBUTED_SCHEDULE_MODULE_OPTIONS],
})
export class DistributedScheduleModule extends DistributedScheduleConfigurableModule {
  static override forRoot(options: typeof DISTRIBUTED_SCHEDULE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  static override forRootAsync(options: DistributedScheduleModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}
