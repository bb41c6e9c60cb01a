import { validateSync } from 'class-validator';
import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import type {
  ResolvedStatefulRedisOptions,
  StatefulRedisModuleOptions,
} from '../interfaces/stateful-redis-module-options.interface';
import { assertKnownOptions, OptionShape } from './known-options';
import { optionErrorReasons } from './option-error-reasons';
import { StatefulRedisOptionsSchema } from './stateful-redis-options.schema';

const DEFAULT_KEY_PREFIX = 'sf';
const DEFAULT_ROUTABLE_STATES: readonly string[] = ['running'];
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 1_000;
const DEFAULT_NEAR_CACHE_MAX_ENTRIES = 100_000;

/** Every option of the module; `redis`, `cluster.options` and `client` belong to ioredis and are not checked here. */
const STATEFUL_REDIS_OPTION_SHAPE: OptionShape = {
  redis: true,
  cluster: { nodes: true, options: true },
  client: true,
  keyPrefix: true,
  routableStates: true,
  commandTimeoutMs: true,
  connectTimeoutMs: true,
  lazyConnect: true,
  healthCheckTimeoutMs: true,
  logOperations: true,
  metrics: { registry: true },
  nearCache: { maxEntries: true },
  podLiveness: { timeoutMs: true, sweepAfterMs: true, sweepCron: true },
};

/** Validates the module options with class-validator and applies the defaults; a bad option stops the app. */
export function resolveOptions(options: StatefulRedisModuleOptions): ResolvedStatefulRedisOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StatefulError(ErrorCode.INVALID_PARAMETER, 'Invalid StatefulRedisModule options: expected an object', {
      field: 'options',
    });
  }
  assertKnownOptions(options, STATEFUL_REDIS_OPTION_SHAPE, 'StatefulRedisModule');
  const schema = Object.assign(new StatefulRedisOptionsSchema(), options);
  const errors = validateSync(schema, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const fields = errors.map((error) => (error.property === 'connection' ? 'redis|cluster|client' : error.property));
    const reasons = optionErrorReasons(errors);
    throw new StatefulError(ErrorCode.INVALID_PARAMETER, `Invalid StatefulRedisModule options: ${reasons.join('; ')}`, {
      field: fields.join(','),
    });
  }
  return {
    redis: options.redis,
    cluster: options.cluster,
    client: options.client,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    routableStates: [...(options.routableStates ?? DEFAULT_ROUTABLE_STATES)],
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    lazyConnect: options.lazyConnect ?? false,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
    logOperations: options.logOperations ?? false,
    metrics: options.metrics ?? true,
    ...(options.nearCache
      ? { nearCache: { maxEntries: options.nearCache.maxEntries ?? DEFAULT_NEAR_CACHE_MAX_ENTRIES } }
      : {}),
    ...(options.podLiveness
      ? {
          podLiveness: {
            timeoutMs: options.podLiveness.timeoutMs,
            ...(options.podLiveness.sweepAfterMs === undefined
              ? {}
              : { sweepAfterMs: options.podLiveness.sweepAfterMs }),
            ...(options.podLiveness.sweepCron === undefined ? {} : { sweepCron: options.podLiveness.sweepCron }),
          },
        }
      : {}),
  };
}
