import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_METRICS } from '../scheduler.constants';
import { SchedulerStore } from '../store/scheduler-store';
import type { FinishStatus } from '../store/scheduler-store.interface';
import type { ActiveRun } from './active-run';
import type { AttemptFailure } from './attempt-failure';
import { storedErrorMessage, storedErrorStack } from './stored-error-message';

/** A finish that fails (Redis unreachable) is tried again this often while the lease may still hold. */
const FINISH_RETRY_MS = 500;

/**
 * Records the end of a run in Redis, fenced by its token: its status, and for a failure the error message and
 * stack as the history keeps them (scrubbed of credentials, capped). A call that fails is retried while the lease
 * may hold; after that Redis records the attempt `lost`. Logs every failed attempt at once (ERROR, with its stack),
 * then what follows from it (WARN: a retry, the fire failed, the task disabled).
 */
@Injectable()
export class RunFinisher {
  private readonly logger = new Logger('DistributedScheduler');

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    private readonly store: SchedulerStore,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {}

  /**
   * Records the run's end; a failed call is retried while the lease may hold (after that Redis records it lost).
   * `failure`: what the handler threw (`failed`), or why the run was cancelled.
   */
  async finish(run: ActiveRun, status: FinishStatus, failure: AttemptFailure | string | undefined): Promise<void> {
    const { taskId, fence } = run.claimed;
    const seconds = run.elapsedSeconds;
    const { namespace } = this.options;
    const thrown = typeof failure === 'string' ? { message: failure, stack: null } : failure;
    const error = thrown === undefined ? undefined : storedErrorMessage(thrown.message);
    const errorStack = thrown?.stack == null ? undefined : storedErrorStack(thrown.stack);
    if (status === 'failed') this.logFailedAttempt(run, error ?? 'unknown error', errorStack);
    for (;;) {
      try {
        const result = await this.store.finish({ taskId, fence, status, error, errorStack });
        run.stopRenewing();
        // A run given back unstarted ran nothing: it is not counted.
        if (status !== 'unstarted')
          this.metrics?.finished(namespace, taskId, result.accepted ? status : 'lost', seconds);
        if (!result.accepted && run.abortCause !== 'lease lost') {
          this.metrics?.leaseLost(namespace, taskId);
          this.logger.warn(
            `The end of task "${taskId}" (fence ${fence}, attempt ${run.claimed.attempt}) was refused: its lease ` +
              'had expired or was taken over; the attempt is recorded lost',
          );
        }
        if (status === 'failed' && result.accepted && !result.disabled)
          this.logFailedAttemptOutcome(run, result.retryAt);
        if (result.disabled) {
          this.logger.warn(
            `Task "${taskId}" is disabled after failing too many fires in a row; last error: ${error ?? status}`,
          );
        }
        return;
      } catch (failure) {
        const leaseLeft = run.claimed.leaseMs - (performance.now() - run.leaseHeldAt);
        if (run.abortCause === 'lease lost' || leaseLeft <= 0) {
          run.stopRenewing();
          this.logger.warn(
            `Could not record the end of task "${taskId}" (fence ${fence}): ` +
              `${scrubText((failure as Error).message)}; ` +
              'its lease will expire and the run be recorded lost',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(FINISH_RETRY_MS, leaseLeft)));
      }
    }
  }

  /** One ERROR line per failed attempt: task, attempt, fire time, the stored (scrubbed, capped) message and stack. */
  private logFailedAttempt(run: ActiveRun, error: string, stack: string | undefined): void {
    const { taskId, attempt, scheduledAt, task } = run.claimed;
    const line =
      `Task "${taskId}" attempt ${attempt} of ${task.retry.attempts} (fire ${new Date(scheduledAt).toISOString()}) ` +
      `failed: ${error}`;
    if (stack === undefined) this.logger.error(line);
    else this.logger.error(line, stack);
  }

  /** What follows a failed attempt that did not disable its task: its retry, or the fire given up. */
  private logFailedAttemptOutcome(run: ActiveRun, retryAt: number | null): void {
    const { taskId, attempt, scheduledAt, task } = run.claimed;
    const fire = new Date(scheduledAt).toISOString();
    if (retryAt !== null) {
      this.logger.warn(
        `Task "${taskId}" (fire ${fire}): attempt ${attempt} of ${task.retry.attempts} failed; ` +
          `retry at ${new Date(retryAt).toISOString()}`,
      );
    } else {
      this.logger.warn(
        `Task "${taskId}" (fire ${fire}) failed after ${attempt} attempts; the next fires run as scheduled ` +
          `(disabled after ${task.maxConsecutiveFailures} failed fires in a row)`,
      );
    }
  }
}
