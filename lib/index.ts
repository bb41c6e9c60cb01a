export { ErrorCode } from './errors/error-code';
export { StatefulError } from './errors/stateful.error';
export type { StatefulErrorOptions } from './errors/stateful.error';
export { StatefulRedisHealthIndicator } from './health/stateful-redis.health';
export type {
  ComputeLinkedPodOptions,
  StatefulRedisClusterConnection,
  StatefulRedisModuleOptions,
  StatefulRedisNearCacheOptions,
  TrySetLinkedPodResult,
} from './interfaces';
export { StatefulExecutorService } from './stateful-executor.service';
export { NO_POD } from './stateful-redis.constants';
export { ASYNC_OPTIONS_TYPE, OPTIONS_TYPE, STATEFUL_REDIS_MODULE_OPTIONS } from './stateful-redis.module-definition';
export { StatefulRedisModule } from './stateful-redis.module';
export type { StatefulRedisMetricsOptions, StatefulRedisMetricsRegistry } from './interfaces/stateful-redis-module-options.interface';
export { METRIC_NAMES } from './metrics/operation-metrics';
export { StatefulErrorFilter, httpStatusOf } from './filters/stateful-error.filter';
export type { StatefulErrorResponseBody } from './filters/stateful-error.filter';
