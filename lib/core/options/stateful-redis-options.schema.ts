import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidationArguments,
} from 'class-validator';
import type { StatefulRedisModuleOptions } from '../interfaces/stateful-redis-module-options.interface';
import { isOptionsObject } from '../validation/guards';

const CONNECTION_OPTIONS = ['redis', 'cluster', 'client'] as const;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 600_000;
const MAX_NEAR_CACHE_ENTRIES = 10_000_000;
/** The longest liveness timeout: what a Node.js timer can wait (about 24.8 days). */
const MAX_LIVENESS_MS = 2 ** 31 - 1;

function isLivenessMs(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_LIVENESS_MS;
}

/** What is wrong with a `podLiveness` option, naming the field, or `undefined` when it is valid. */
function podLivenessProblem(value: unknown): string | undefined {
  if (!isOptionsObject(value)) return '"podLiveness" must be an object { timeoutMs, sweepAfterMs?, sweepCron? }';
  if (!isLivenessMs(value.timeoutMs))
    return `"podLiveness.timeoutMs" must be an integer from 1 to ${MAX_LIVENESS_MS} (ms)`;
  // The cron expression itself is checked by the scheduler that runs the sweep task.
  if (value.sweepCron !== undefined && (typeof value.sweepCron !== 'string' || value.sweepCron.trim() === ''))
    return '"podLiveness.sweepCron" must be a non-empty cron expression';
  if (value.sweepCron !== undefined && value.sweepAfterMs === undefined)
    return '"podLiveness.sweepCron" needs "podLiveness.sweepAfterMs" (the sweep it schedules)';
  if (value.sweepAfterMs === undefined) return undefined;
  if (!isLivenessMs(value.sweepAfterMs))
    return `"podLiveness.sweepAfterMs" must be an integer from 1 to ${MAX_LIVENESS_MS} (ms)`;
  if ((value.sweepAfterMs as number) < (value.timeoutMs as number))
    return '"podLiveness.sweepAfterMs" must be at least "podLiveness.timeoutMs"';
  return undefined;
}

/**
 * The module options as class-validator sees them, every message naming its option, each with its default (given
 * options replace them); `connection` is no option: it checks that exactly one connection option is set.
 */
export class StatefulRedisOptionsSchema implements StatefulRedisModuleOptions {
  @ValidateBy({
    name: 'exactlyOneConnection',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) =>
        CONNECTION_OPTIONS.filter((key) => (args?.object as Record<string, unknown>)[key] != null).length === 1,
      defaultMessage: (args?: ValidationArguments) => {
        const given = CONNECTION_OPTIONS.filter((key) => (args?.object as Record<string, unknown>)[key] != null);
        const got = given.length ? given.map((key) => `"${key}"`).join(', ') : 'none';
        return `exactly one of "redis", "cluster", "client" must be set (got ${got})`;
      },
    },
  })
  readonly connection?: never;

  @IsOptional()
  @ValidateBy({
    name: 'isRedisConnection',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' ? /^rediss?:\/\/[^\s]+$/.test(value) : isOptionsObject(value),
      defaultMessage: () => '"redis" must be a redis:// or rediss:// URL or an ioredis options object',
    },
  })
  redis?: StatefulRedisModuleOptions['redis'];

  @IsOptional()
  @ValidateBy({
    name: 'isClusterConnection',
    validator: {
      validate: (value: unknown) => isOptionsObject(value) && Array.isArray(value.nodes) && value.nodes.length > 0,
      defaultMessage: () => '"cluster" must be an object with a non-empty "nodes" array',
    },
  })
  cluster?: StatefulRedisModuleOptions['cluster'];

  @IsOptional()
  @ValidateBy({
    name: 'isRedisClient',
    validator: {
      validate: (value: unknown) =>
        isOptionsObject(value) && typeof value.evalsha === 'function' && typeof value.status === 'string',
      defaultMessage: () => '"client" must be an ioredis Redis or Cluster instance',
    },
  })
  client?: StatefulRedisModuleOptions['client'];

  @IsOptional()
  @IsString({ message: '"keyPrefix" must be a string' })
  @IsNotEmpty({ message: '"keyPrefix" must not be empty' })
  @MaxLength(64, { message: '"keyPrefix" must be at most 64 characters' })
  @Matches(/^[^{}\s\p{Cc}]*$/u, { message: '"keyPrefix" must not contain braces, whitespace or control characters' })
  keyPrefix: string = 'sf';

  @IsOptional()
  @IsArray({ message: '"routableStates" must be an array of states' })
  @ArrayNotEmpty({ message: '"routableStates" must name at least one state' })
  @IsString({ each: true, message: '"routableStates" must contain only strings' })
  @IsNotEmpty({ each: true, message: '"routableStates" must not contain empty states' })
  @MaxLength(256, { each: true, message: '"routableStates" entries must be at most 256 characters' })
  routableStates: string[] = ['running'];

  @IsOptional()
  @IsInt({ message: '"commandTimeoutMs" must be an integer' })
  @Min(1, { message: '"commandTimeoutMs" must be at least 1' })
  @Max(MAX_TIMEOUT_MS, { message: `"commandTimeoutMs" must be at most ${MAX_TIMEOUT_MS}` })
  commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS;

  @IsOptional()
  @IsInt({ message: '"connectTimeoutMs" must be an integer' })
  @Min(1, { message: '"connectTimeoutMs" must be at least 1' })
  @Max(MAX_TIMEOUT_MS, { message: `"connectTimeoutMs" must be at most ${MAX_TIMEOUT_MS}` })
  connectTimeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS;

  @IsOptional()
  @IsInt({ message: '"healthCheckTimeoutMs" must be an integer' })
  @Min(1, { message: '"healthCheckTimeoutMs" must be at least 1' })
  @Max(MAX_TIMEOUT_MS, { message: `"healthCheckTimeoutMs" must be at most ${MAX_TIMEOUT_MS}` })
  healthCheckTimeoutMs: number = DEFAULT_HEALTH_CHECK_TIMEOUT_MS;

  @IsOptional()
  @IsBoolean({ message: '"lazyConnect" must be a boolean' })
  lazyConnect: boolean = false;

  @IsOptional()
  @IsBoolean({ message: '"logOperations" must be a boolean' })
  logOperations: boolean = false;

  @IsOptional()
  @ValidateBy({
    name: 'isMetricsOption',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'boolean' ||
        (isOptionsObject(value) &&
          (value.registry === undefined ||
            (isOptionsObject(value.registry) &&
              typeof value.registry.registerMetric === 'function' &&
              typeof value.registry.getSingleMetric === 'function'))),
      defaultMessage: () => '"metrics" must be a boolean or { registry?: a prom-client Registry }',
    },
  })
  metrics: NonNullable<StatefulRedisModuleOptions['metrics']> = true;

  @IsOptional()
  @ValidateBy({
    name: 'isNearCacheOptions',
    validator: {
      validate: (value: unknown) =>
        isOptionsObject(value) &&
        Object.keys(value).every((key) => key === 'maxEntries') &&
        (value.maxEntries === undefined ||
          (Number.isInteger(value.maxEntries) &&
            (value.maxEntries as number) >= 1 &&
            (value.maxEntries as number) <= MAX_NEAR_CACHE_ENTRIES)),
      defaultMessage: () =>
        `"nearCache" must be an object { maxEntries?: an integer from 1 to ${MAX_NEAR_CACHE_ENTRIES} }`,
    },
  })
  nearCache?: StatefulRedisModuleOptions['nearCache'];

  @IsOptional()
  @ValidateBy({
    name: 'isPodLivenessOptions',
    validator: {
      validate: (value: unknown) => podLivenessProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => podLivenessProblem(args?.value) ?? '',
    },
  })
  podLiveness?: StatefulRedisModuleOptions['podLiveness'];
}
