import { performance } from 'node:perf_hooks';
import type { ScheduledRunContext } from '../interfaces/scheduled-run-context.interface';
import type { ClaimedRun } from '../store/scheduler-store.interface';

/** Why a run's signal was aborted. */
export type AbortCause = 'lease lost' | 'shutdown';

/**
 * One run this replica executes: its abort controller, its lease (the local duration since the last renewal
 * is what tells it is gone when Redis cannot be asked), and the guarantee that it is finished once.
 */
export class ActiveRun {
  readonly controller = new AbortController();
  /** `performance.now()` when the claim's reply was taken in. */
  readonly claimedAt = performance.now();
  /** `performance.now()` when the handler was called (when it was claimed, until then). */
  startedAt = performance.now();
  /** `performance.now()` at which a run claimed ahead starts (at its claim, for a run claimed when due). */
  localStartAt = performance.now();
  /** Claimed ahead, its time not come yet: it holds no slot (see RunExecutor). */
  waitingForTime = false;
  /** Whether it holds one of the replica's slots (from just before its handler is called until it ends). */
  holdsSlot = false;
  /** Whether its handler was called (a run claimed ahead waits for its time first). */
  handlerCalled = false;
  /** Whether its handler returned or threw: the run no longer takes a slot (its finish may still be on its way). */
  handlerEnded = false;
  abortCause?: AbortCause;
  /** `performance.now()` when the lease was last known to hold (the claim was sent, or a renewal was). */
  leaseHeldAt: number;
  /** The message of the last renewal that failed, for the lease-lost warning. */
  lastRenewalError?: string;
  /** Set by whoever finishes it first: the handler's end, or the shutdown's cancellation. */
  finishing = false;
  /** It succeeded and its task does not buffer: its finish queues nothing (no retry, no fire released). */
  endedQuietly = false;
  /** Its task was removed while it ran: the task's metric series are deleted again once it is over. */
  taskRemoved = false;
  renewing = false;
  renewTimer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private onLeaseExpired?: (why: string) => void;
  /** Settles when the run is over and finished (or given up); never rejects. */
  done: Promise<void> = Promise.resolve();

  /**
   * `leaseFrom`: `performance.now()` from which its lease holds, at the latest: when the claim was sent, plus how
   * far ahead of the claim the run starts when it was claimed ahead (its lease runs from its start in Redis).
   */
  constructor(
    readonly claimed: ClaimedRun,
    readonly instanceId: string,
    leaseFrom: number,
    /** `performance.now()` when its claim was sent: Redis started a run claimed when due after that. */
    readonly claimSentAt: number,
  ) {
    this.leaseHeldAt = leaseFrom;
  }

  /** `<taskId>|<fence>`, unique per run. */
  get key(): string {
    return `${this.claimed.taskId}|${this.claimed.fence}`;
  }

  /** Seconds since the handler was called. */
  get elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  context(): ScheduledRunContext {
    const { taskId, scheduledAt, kind, attempt, fence, task } = this.claimed;
    return {
      taskId,
      name: task.name,
      scheduledAt: new Date(scheduledAt),
      kind,
      attempt,
      fencingToken: fence,
      instanceId: this.instanceId,
      payload: task.payload,
      signal: this.controller.signal,
    };
  }

  /**
   * Calls `onExpired` once `leaseHeldAt + leaseMs` passes without a renewal, by the local monotonic clock: the
   * lease may then have expired in Redis, so the handler is aborted before another replica can take the run
   * over, even while a renewal still hangs (the claim and renewals are timed from when they were sent, so the
   * local deadline never falls after Redis's).
   */
  watchLease(onExpired: (why: string) => void): void {
    this.onLeaseExpired = onExpired;
    this.armLeaseDeadline();
  }

  /** A renewal sent at `sentAt` (`performance.now()`) succeeded. */
  leaseHeld(sentAt: number): void {
    this.leaseHeldAt = Math.max(this.leaseHeldAt, sentAt);
  }

  abort(cause: AbortCause, reason: string): void {
    if (this.controller.signal.aborted) return;
    this.abortCause = cause;
    this.controller.abort(new Error(reason));
  }

  stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.onLeaseExpired = undefined;
  }

  /** A timer at the lease's local deadline; renewals move the deadline, so it re-arms itself until one is missed. */
  private armLeaseDeadline(): void {
    const leaseMs = this.claimed.leaseMs;
    const left = this.leaseHeldAt + leaseMs - performance.now();
    this.leaseTimer = setTimeout(
      () => {
        this.leaseTimer = undefined;
        const onExpired = this.onLeaseExpired;
        if (onExpired === undefined) return;
        if (performance.now() - this.leaseHeldAt < leaseMs) return this.armLeaseDeadline();
        this.onLeaseExpired = undefined;
        const lastError = this.lastRenewalError === undefined ? 'no answer' : `last error: ${this.lastRenewalError}`;
        onExpired(`no renewal succeeded within the ${leaseMs} ms lease (${lastError})`);
      },
      Math.max(Math.ceil(left), 1),
    );
  }
}
