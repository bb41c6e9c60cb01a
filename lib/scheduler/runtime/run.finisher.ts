import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_METRICS } from '../scheduler.constants';
import { SchedulerStore } from '../store/scheduler-store';
import type { FinishStatus } from '../store/scheduler-store.interface';
import type { ActiveRun } from './active-run';
import { storedErrorMessage } from './stored-error-message';

/** A finish that fails (Redis unreachable) is tried again this often while the lease may still hold. */
const FINISH_RETRY_MS = 500;

/**
 * Records the end of a run in Redis, fenced by its token: its status, and for a failure the error message as the
 * history keeps it (scrubbed of credentials, capped). A call that fails is retried while the lease may hold;
 * after that Redis records the attempt `lost`.
 */
@Injectable()
export class RunFinisher {
  private readonly logger = new Logger('DistributedScheduler');

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    private readonly store: SchedulerStore,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {}

  /** Records the run's end; a failed call is retried while the lease may hold (after that Redis records it lost). */
  async finish(run: ActiveRun, status: FinishStatus, thrownMessage: string | undefined): Promise<void> {
    const { taskId, fence } = run.claimed;
    const seconds = run.elapsedSeconds;
    const { instanceId, historyLength, namespace } = this.options;
    const error = thrownMessage === undefined ? undefined : storedErrorMessage(thrownMessage);
    for (;;) {
      try {
        const result = await this.store.finish({ taskId, fence, instanceId, status, error, historyLength });
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
            `Could not record the end of task "${taskId}" (fence ${fence}): ${scrubText((failure as Error).message)}; ` +
              'its lease will expire and the run be recorded lost',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(FINISH_RETRY_MS, leaseLeft)));
      }
    }
  }
}
