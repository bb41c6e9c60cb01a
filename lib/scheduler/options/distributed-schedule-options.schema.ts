import { randomUUID } from 'node:crypto';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import { SCHEDULER_LIMITS as LIMITS } from './scheduler-limits';

/**
 * The module options as class-validator sees them, every message naming its option, each with its default (given
 * options replace them). An option is added here and in `DistributedScheduleModuleOptions`, nowhere else: the known
 * keys and the resolved options follow from this class.
 */
export class DistributedScheduleOptionsSchema implements ResolvedDistributedScheduleOptions {
  @IsOptional()
  @IsString({ message: '"namespace" must be a string' })
  @IsNotEmpty({ message: '"namespace" must not be empty' })
  @MaxLength(LIMITS.maxNamespaceLength, {
    message: `"namespace" must be at most ${LIMITS.maxNamespaceLength} characters`,
  })
  // As a routing namespace: ':' and braces would move the hash tag `{<ns>:sched}` and mix namespaces.
  @Matches(/^[^:{}\s\p{Cc}]*$/u, {
    message: "\"namespace\" must not contain ':', '{', '}', whitespace or control characters",
  })
  namespace: string = 'default';

  @IsOptional()
  @IsString({ message: '"instanceId" must be a string' })
  @IsNotEmpty({ message: '"instanceId" must not be empty' })
  @MaxLength(LIMITS.maxInstanceIdLength, {
    message: `"instanceId" must be at most ${LIMITS.maxInstanceIdLength} characters`,
  })
  @Matches(/^[^\p{Cc}]*$/u, { message: '"instanceId" must not contain control characters' })
  instanceId: string = randomUUID();

  @IsOptional()
  @IsInt({ message: '"maxConcurrent" must be an integer' })
  @Min(1, { message: '"maxConcurrent" must be at least 1' })
  @Max(LIMITS.maxConcurrent, { message: `"maxConcurrent" must be at most ${LIMITS.maxConcurrent}` })
  maxConcurrent: number = 5;

  @IsOptional()
  @IsInt({ message: '"leaseMs" must be an integer' })
  @Min(LIMITS.minLeaseMs, { message: `"leaseMs" must be at least ${LIMITS.minLeaseMs}` })
  @Max(LIMITS.maxLeaseMs, { message: `"leaseMs" must be at most ${LIMITS.maxLeaseMs}` })
  leaseMs: number = 30_000;

  @IsOptional()
  @IsInt({ message: '"pollIntervalMs" must be an integer' })
  @Min(LIMITS.minPollIntervalMs, { message: `"pollIntervalMs" must be at least ${LIMITS.minPollIntervalMs}` })
  @Max(LIMITS.maxPollIntervalMs, { message: `"pollIntervalMs" must be at most ${LIMITS.maxPollIntervalMs}` })
  pollIntervalMs: number = 1_000;

  @IsOptional()
  @IsInt({ message: '"lookAheadMs" must be an integer' })
  @Min(0, { message: '"lookAheadMs" must be at least 0' })
  @Max(LIMITS.maxLookAheadMs, { message: `"lookAheadMs" must be at most ${LIMITS.maxLookAheadMs}` })
  lookAheadMs: number = 500;

  @IsOptional()
  @IsInt({ message: '"historyLength" must be an integer' })
  @Min(1, { message: '"historyLength" must be at least 1' })
  @Max(LIMITS.maxHistoryLength, { message: `"historyLength" must be at most ${LIMITS.maxHistoryLength}` })
  historyLength: number = 20;

  @IsOptional()
  @IsInt({ message: '"shutdownTimeoutMs" must be an integer' })
  @Min(0, { message: '"shutdownTimeoutMs" must be at least 0' })
  @Max(LIMITS.maxShutdownTimeoutMs, { message: `"shutdownTimeoutMs" must be at most ${LIMITS.maxShutdownTimeoutMs}` })
  shutdownTimeoutMs: number = 10_000;
}
