// The public API, by area. Each module exports the same kinds of things: the module, its options types (the
// interface, the async options, the factory), its options token and `*_OPTIONS_TYPE` / `*_ASYNC_OPTIONS_TYPE`, its
// services and health indicator, its metric names. Nothing else of `lib/` is public.

// Errors: one error type with a machine-readable code, and the HTTP filter that maps the codes to statuses.
export { ErrorCode } from './core/errors/error-code';
export { StatefulError } from './core/errors/stateful.error';
export type { StatefulErrorOptions } from './core/errors/stateful.error';
export { isLoggedStartupFailure } from './core/errors/startup-failure';
export { StatefulErrorFilter, httpStatusOf } from './core/filters/stateful-error.filter';
export type { StatefulErrorResponseBody } from './core/filters/stateful-error.filter';

// StatefulRedisModule: the shared connection (the core) and the routing directory on it.
export { StatefulRedisModule } from './stateful-redis.module';
export {
  ASYNC_OPTIONS_TYPE,
  OPTIONS_TYPE,
  STATEFUL_REDIS_ASYNC_OPTIONS_TYPE,
  STATEFUL_REDIS_MODULE_OPTIONS,
  STATEFUL_REDIS_OPTIONS_TYPE,
} from './core/stateful-redis.module-definition';
export type {
  StatefulRedisClusterConnection,
  StatefulRedisMetricsOptions,
  StatefulRedisMetricsRegistry,
  StatefulRedisModuleAsyncOptions,
  StatefulRedisModuleOptions,
  StatefulRedisNearCacheOptions,
  StatefulRedisOptionsFactory,
  StatefulRedisPodLivenessOptions,
} from './core/interfaces/stateful-redis-module-options.interface';
export { StatefulRedisHealthIndicator } from './core/health/stateful-redis.health';
export { METRIC_NAMES } from './core/metrics/operation-metrics';

// Routing: which pod owns which user, which pods take new users, which are alive.
export { StatefulExecutorService } from './routing/stateful-executor.service';
export { NO_POD } from './routing/routing.constants';
export type { ComputeLinkedPodOptions } from './routing/interfaces/compute-linked-pod-options.interface';
export type { FindServicesOptions } from './routing/interfaces/find-services-options.interface';
export type { PodReport } from './routing/interfaces/pod-report.interface';
export type { ServiceRef } from './routing/interfaces/service-ref.interface';
export type { SetServiceStateOptions } from './routing/interfaces/set-service-state-options.interface';
export type { MarkedPodSweep, SilentPodMark, SweptPodNotice } from './routing/interfaces/silent-pod.interface';
export type { RemovePodLinksOptions, SweepProgress } from './routing/interfaces/sweep-options.interface';
export type { TrySetLinkedPodResult } from './routing/interfaces/try-set-linked-pod-result.interface';
export type { UserLink } from './routing/interfaces/user-link.interface';

// DistributedScheduleModule: cron tasks and workflows run once per fire across every replica.
export { DistributedScheduleModule } from './scheduler/distributed-schedule.module';
export {
  DISTRIBUTED_SCHEDULE_ASYNC_OPTIONS_TYPE,
  DISTRIBUTED_SCHEDULE_MODULE_OPTIONS,
  DISTRIBUTED_SCHEDULE_OPTIONS_TYPE,
} from './scheduler/distributed-schedule.module-definition';
export type {
  DistributedScheduleModuleAsyncOptions,
  DistributedScheduleModuleOptions,
  DistributedScheduleOptionsFactory,
} from './scheduler/interfaces/distributed-schedule-module-options.interface';
export { DistributedSchedulerService } from './scheduler/distributed-scheduler.service';
export { DistributedSchedulerHealthIndicator } from './scheduler/distributed-scheduler.health';
export { SCHEDULER_METRIC_NAMES } from './scheduler/metrics/scheduler-metrics';
export { DistributedCron } from './scheduler/decorators/distributed-cron.decorator';
export { ScheduledWorkflow } from './scheduler/decorators/scheduled-workflow.decorator';
export type { DistributedCronOptions } from './scheduler/decorators/schedule-metadata';
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

// StatefulDashboardModule: the operator dashboard over routing and scheduling.
export { StatefulDashboardModule } from './dashboard/stateful-dashboard.module';
export {
  STATEFUL_DASHBOARD_ASYNC_OPTIONS_TYPE,
  STATEFUL_DASHBOARD_MODULE_OPTIONS,
  STATEFUL_DASHBOARD_OPTIONS_TYPE,
} from './dashboard/stateful-dashboard.module-definition';
export type {
  ActionsDashboardOptions,
  ReadOnlyDashboardOptions,
  StatefulDashboardModuleAsyncOptions,
  StatefulDashboardOptions,
  StatefulDashboardOptionsFactory,
} from './dashboard/interfaces/stateful-dashboard-options.interface';
