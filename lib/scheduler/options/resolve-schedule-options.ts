import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';
import { assertKnownOptions, OptionShape } from '../../core/options/known-options';
import { optionErrorReasons } from '../../core/options/option-error-reasons';
import type {
  DistributedScheduleModuleOptions,
  ResolvedDistributedScheduleOptions,
} from '../interfaces/distributed-schedule-module-options.interface';
import { DistributedScheduleOptionsSchema } from './distributed-schedule-options.schema';

const OWNER = 'DistributedScheduleModule';

const DISTRIBUTED_SCHEDULE_OPTION_SHAPE: OptionShape = {
  namespace: true,
  instanceId: true,
  maxConcurrent: true,
  leaseMs: true,
  pollIntervalMs: true,
  lookAheadMs: true,
  historyLength: true,
  shutdownTimeoutMs: true,
};

const DEFAULTS: Omit<ResolvedDistributedScheduleOptions, 'instanceId'> = {
  namespace: 'default',
  maxConcurrent: 5,
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
  lookAheadMs: 500,
  historyLength: 20,
  shutdownTimeoutMs: 10_000,
};

/** Validates the module options (unknown keys, types, ranges) and applies the defaults; a bad option stops the app. */
export function resolveScheduleOptions(
  options: DistributedScheduleModuleOptions | undefined,
): ResolvedDistributedScheduleOptions {
  const given = options ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new StatefulError(ErrorCode.INVALID_PARAMETER, `Invalid ${OWNER} options: expected an object`, {
      field: 'options',
    });
  }
  assertKnownOptions(given, DISTRIBUTED_SCHEDULE_OPTION_SHAPE, OWNER);
  const errors = validateSync(Object.assign(new DistributedScheduleOptionsSchema(), given), {
    forbidUnknownValues: false,
  });
  if (errors.length > 0) {
    const reasons = optionErrorReasons(errors);
    throw new StatefulError(ErrorCode.INVALID_PARAMETER, `Invalid ${OWNER} options: ${reasons.join('; ')}`, {
      field: errors.map((error) => error.property).join(','),
    });
  }
  return {
    namespace: given.namespace ?? DEFAULTS.namespace,
    instanceId: given.instanceId ?? randomUUID(),
    maxConcurrent: given.maxConcurrent ?? DEFAULTS.maxConcurrent,
    leaseMs: given.leaseMs ?? DEFAULTS.leaseMs,
    pollIntervalMs: given.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    lookAheadMs: given.lookAheadMs ?? DEFAULTS.lookAheadMs,
    historyLength: given.historyLength ?? DEFAULTS.historyLength,
    shutdownTimeoutMs: given.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
  };
}
