import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_METRICS } from '../scheduler.constants';
import { SchedulerStore } from '../store/scheduler-store';
import type { LostRun, StartRunResult } from '../store/scheduler-store.interface';
import type { ActiveRun } from './active-run';

/** What Redis answered about a start, and when (`performance.now()`) the question was sent. */
export interface ConfirmedStart extends StartRunResult {
  sentAt: number;
}

/** How many times a start is asked for while Redis says its time has not come (a clock running fast). */
const MAX_EARLY_ASKS = 5;

/**
 * The leases of the runs this replica executes: renewed every `leaseMs / 3` while a handler runs, watched by the
 * local clock (a lease that may have expired aborts the run's signal, even while a renewal hangs), and confirmed in
 * Redis at the start of a run claimed ahead. Also reports the runs of any replica whose leases a look reaped.
 */
@Injectable()
export class RunLeaseKeeper {
  private readonly logger = new Logger('DistributedScheduler');

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    private readonly store: SchedulerStore,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {}

  /** From its claim on: once the run's lease may have expired by the local clock, its signal is aborted. */
  watch(run: ActiveRun): void {
    run.watchLease((why) => this.lost(run, why));
  }

  /** While its handler runs: renews the run's lease every `leaseMs / 3`. */
  renewWhileRunning(run: ActiveRun): void {
    run.renewTimer = setInterval(() => void this.renew(run), Math.max(Math.floor(run.claimed.leaseMs / 3), 1));
  }

  /**
   * From `leadMs` before its time, asks Redis whether a run claimed ahead may start (its lease held, its task
   * present, enabled and unchanged), never trusting that no change message was heard: a change that cancelled it
   * may have been lost in a reconnect, or not read yet by a busy event loop. Asked about a run started already
   * (its start window passed), Redis checks its lease and its task alike. `'unreachable'` when Redis could not
   * answer.
   */
  async confirmStart(run: ActiveRun, leadMs: number): Promise<ConfirmedStart | 'unreachable'> {
    const { taskId, fence, leaseMs } = run.claimed;
    for (let asked = 1; ; asked++) {
      const sentAt = performance.now();
      let confirmation: StartRunResult;
      try {
        confirmation = await this.store.confirmStart({ taskId, fence, leaseMs, leadMs });
      } catch {
        return 'unreachable';
      }
      // Asked before its time on Redis's clock (this replica's clock runs fast): wait as long as Redis says.
      if (confirmation.notYetMs !== undefined && asked < MAX_EARLY_ASKS) {
        await new Promise((resolve) => setTimeout(resolve, (confirmation.notYetMs as number) + 1));
        continue;
      }
      if (confirmation.started) run.leaseHeld(sentAt);
      return { ...confirmation, sentAt };
    }
  }

  /** Runs whose leases expired, reaped by a look (their replica crashed, paused or lost Redis). */
  reportReaped(lost: LostRun[]): void {
    for (const run of lost) {
      const outcome = run.retryAt === null ? 'recorded failed (no attempt left)' : 'retried';
      this.logger.warn(
        `Run of task "${run.taskId}" (fence ${run.fence}, attempt ${run.attempt}) lost its lease: ` +
          `recorded lost and ${outcome}`,
      );
      if (run.disabled)
        this.logger.warn(
          `Task "${run.taskId}" is disabled after failing too many fires in a row (its last run lost its lease)`,
        );
    }
  }

  /**
   * Renews a run's lease; a refusal aborts its signal. A renewal that fails or hangs (Redis cut off or paused)
   * leaves it to the run's lease deadline, which aborts the signal locally once the lease may have expired.
   */
  private async renew(run: ActiveRun): Promise<void> {
    if (run.renewing || run.controller.signal.aborted) return;
    run.renewing = true;
    const sentAt = performance.now();
    try {
      const held = await this.store.renew(run.claimed);
      if (held) run.leaseHeld(sentAt);
      // Once the finish is sent, a refusal is the finish's release of the lease, not a lost lease.
      else if (!run.finishing) this.lost(run, 'Redis refused the renewal (the lease expired or was taken over)');
    } catch (error) {
      run.lastRenewalError = scrubText((error as Error).message);
    } finally {
      run.renewing = false;
    }
  }

  private lost(run: ActiveRun, why: string): void {
    if (run.controller.signal.aborted || run.finishing) return;
    const { taskId, fence } = run.claimed;
    run.stopRenewing();
    run.abort('lease lost', `the lease of task "${taskId}" was lost`);
    this.metrics?.leaseLost(this.options.namespace, taskId);
    this.logger.warn(
      `Lease of task "${taskId}" (fence ${fence}, attempt ${run.claimed.attempt}) lost: ${why}. ` +
        'Its signal is aborted; its completion will be refused and the attempt recorded lost',
    );
  }
}
