import { resolveModuleOptions } from '../../core/options/resolve-module-options';
import type {
  DistributedScheduleModuleOptions,
  ResolvedDistributedScheduleOptions,
} from '../interfaces/distributed-schedule-module-options.interface';
import { DistributedScheduleOptionsSchema } from './distributed-schedule-options.schema';

/** Validates the module options (unknown keys, types, ranges) and applies the defaults; a bad option stops the app. */
export function resolveScheduleOptions(
  options: DistributedScheduleModuleOptions | undefined,
): ResolvedDistributedScheduleOptions {
  return resolveModuleOptions('DistributedScheduleModule', options ?? {}, { schema: DistributedScheduleOptionsSchema });
}
