export { ErrorCode } from './core/errors/error-code';
export { StatefulError } from './core/errors/stateful.error';
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
export { ASYNC_OPTIONS_TYPE, OPTIONS_TYPE, STATEFUL_REDIS_MODULE_OPTIONS } from './stateful-redis.module-definition';
export { StatefulRedisModule } from './stateful-redis.module';
export type { StatefulRedisMetricsOptions, StatefulRedisMetricsRegistry } from './core/interfaces/stateful-redis-module-options.interface';
export { METRIC_NAMES } from './core/metrics/operation-metrics';
export { StatefulErrorFilter, httpStatusOf } from './core/filters/stateful-error.filter';
export type { StatefulErrorResponseBody } from './core/filters/stateful-error.filter';
