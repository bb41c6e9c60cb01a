export type { ComputeLinkedPodOptions } from './compute-linked-pod-options.interface';
export type {
  ResolvedStatefulRedisOptions,
  StatefulRedisClusterConnection,
  StatefulRedisModuleOptions,
  StatefulRedisNearCacheOptions,
} from './stateful-redis-module-options.interface';
export type { TrySetLinkedPodResult } from './try-set-linked-pod-result.interface';
