export { ErrorCode } from './core/errors/error-code';
export { StatefulError } from './core/errors/stateful.error';
export { isLoggedStartupFailure } from './core/errors/startup-failure';
export type { StatefulErrorOptions } from './core/errors/stateful.error';
export { StatefulRedisHealthIndicator } from './core/health/stateful-redis.health';
export type {
  StatefulRedisClusterConnection,
  StatefulRedisModuleAsyncOptions,
  StatefulRedisModuleOptions,
  StatefulRedisNearCacheOptions,
  StatefulRedisOptionsFactory,
} from './core/interfaces/stateful-redis-module-options.interface';
export type { ComputeLinkedPodOptions } from './routing/interfaces/compute-linked-pod-options.interface';
export type { TrySetLinkedPodResult } from './routing/interfaces/try-set-linked-pod-result.interface';
export { StatefulExecutorService } from './routing/stateful-executor.service';
export { NO_POD } from './routing/routing.constants';
export {
  ASYNC_OPTIONS_TYPE,
  OPTIONS_TYPE,
  STATEFUL_REDIS_MODULE_OPTIONS,
} from './core/stateful-redis.module-definition';
export { StatefulRedisModule } from './stateful-redis.module';
export type {
  StatefulRedisMetricsOptions,
  StatefulRedisMetricsRegistry,
} from './core/interfaces/stateful-redis-module-options.interface';
export { METRIC_NAMES } from './core/metrics/operation-metrics';
export { StatefulErrorFilter, httpStatusOf } from './core/filters/stateful-error.filter';
export type { StatefulErrorResponseBody } from './core/filters/stateful-error.filter';
export { DistributedScheduleModule } from './scheduler/distributed-schedule.module';
export { DistributedCron } from './scheduler/decorators/distributed-cron.decorator';
export { ScheduledWorkflow } from './scheduler/decorators/scheduled-workflow.decorator';
export type { DistributedCronOptions } from './scheduler/decorators/schedule-metadata';
export { DistributedSchedulerService } from './scheduler/distributed-scheduler.service';
export { DistributedSchedulerHealthIndicator } from './scheduler/distributed-scheduler.health';
export { SCHEDULER_METRIC_NAMES } from './scheduler/metrics/scheduler-metrics';
export type {
  DistributedScheduleModuleAsyncOptions,
  DistributedScheduleModuleOptions,
  DistributedScheduleOptionsFactory,
} from './scheduler/interfaces/distributed-schedule-module-options.interface';
export type {
  AddTaskInput,
  ListTasksOptions,
  MisfirePolicy,
  OverlapPolicy,
  RetryPolicy,
  ScheduledTask,
  ScheduledTaskOptions,
  TaskRun,
  TaskSource,
  TaskStatus,
  UpdateTaskPatch,
  UpsertTaskInput,
} from './scheduler/interfaces/scheduled-task.interface';
export type {
  ScheduledHandler,
  ScheduledRunContext,
  ScheduledRunKind,
} from './scheduler/interfaces/scheduled-run-context.interface';
export type { SchedulerStats } from './scheduler/interfaces/scheduler-stats.interface';
export type { StatefulRedisPodLivenessOptions } from './core/interfaces/stateful-redis-module-options.interface';
export type { PodReport } from './routing/interfaces/pod-report.interface';
export type { UserLink } from './routing/interfaces/user-link.interface';
export type { ServiceRef } from './routing/interfaces/service-ref.interface';
export type { SetServiceStateOptions } from './routing/interfaces/set-service-state-options.interface';
export type { FindServicesOptions } from './routing/interfaces/find-services-options.interface';
export type { RemovePodLinksOptions, SweepProgress } from './routing/interfaces/sweep-options.interface';
export type { MarkedPodSweep, SilentPodMark, SweptPodNotice } from './routing/interfaces/silent-pod.interface';
export { StatefulDashboardModule } from './dashboard/stateful-dashboard.module';
export type {
  ActionsDashboardOptions,
  ReadOnlyDashboardOptions,
  StatefulDashboardModuleAsyncOptions,
  StatefulDashboardOptions,
  StatefulDashboardOptionsFactory,
} from './dashboard/interfaces/stateful-dashboard-options.interface';
