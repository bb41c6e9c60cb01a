import type {
  ResolvedStatefulRedisOptions,
  StatefulRedisModuleOptions,
} from '../interfaces/stateful-redis-module-options.interface';
import { resolveModuleOptions } from './resolve-module-options';
import { StatefulRedisOptionsSchema } from './stateful-redis-options.schema';

export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
} from './stateful-redis-options.schema';

const DEFAULT_NEAR_CACHE_MAX_ENTRIES = 100_000;

/** The keys inside the options that are objects; `redis`, `cluster.options` and `client` belong to ioredis. */
const NESTED_OPTIONS = {
  cluster: { nodes: true, options: true },
  metrics: { registry: true },
  nearCache: { maxEntries: true },
  podLiveness: { timeoutMs: true, sweepAfterMs: true, sweepCron: true },
} as const;

/** Validates the module options with class-validator and applies the defaults; a bad option stops the app. */
export function resolveOptions(options: StatefulRedisModuleOptions): ResolvedStatefulRedisOptions {
  const { routableStates, nearCache, podLiveness, ...resolved } = resolveModuleOptions('StatefulRedisModule', options, {
    schema: StatefulRedisOptionsSchema,
    nested: NESTED_OPTIONS,
    crossChecks: { connection: 'redis|cluster|client' },
  });
  return {
    ...resolved,
    // Copies: a later change of the caller's objects has no effect.
    routableStates: [...routableStates],
    ...(nearCache ? { nearCache: { maxEntries: nearCache.maxEntries ?? DEFAULT_NEAR_CACHE_MAX_ENTRIES } } : {}),
    ...(podLiveness
      ? {
          podLiveness: {
            timeoutMs: podLiveness.timeoutMs,
            ...(podLiveness.sweepAfterMs === undefined ? {} : { sweepAfterMs: podLiveness.sweepAfterMs }),
            ...(podLiveness.sweepCron === undefined ? {} : { sweepCron: podLiveness.sweepCron }),
          },
        }
      : {}),
  };
}
