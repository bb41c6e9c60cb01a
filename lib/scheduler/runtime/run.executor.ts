import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StatefulRedisCore } from '../../core/stateful-redis-core';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import { describeThrown } from '../../core/errors/describe-thrown';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_CORE, SCHEDULER_METRICS } from '../scheduler.constants';
import type { ClaimedRun } from '../store/scheduler-store.interface';
import { HANDLER_START_DEADLINE_MS } from '../store/start-window';
import { ActiveRun } from './active-run';
import { AheadStarts } from './ahead-starts';
import { attemptFailure, AttemptFailure } from './attempt-failure';
import { ChangeSubscriber } from './change-subscriber';
import { RedisClock } from './redis-clock';
import { RunFinisher } from './run.finisher';
import { RunLeaseKeeper } from './run-lease.keeper';
import { SlotGate } from './slot-gate';
import { WakeSignal } from './wake.signal';
import { WorkflowRegistry } from './workflow-registry';

/**
 * How long before its start time a run claimed ahead is confirmed in Redis (ms): enough for the confirmations of
 * the hundreds of runs due at one whole second to be answered before it; a change of the task that comes in
 * between waits for the run's start window to end (`START_WINDOW_MS` after its start).
 */
const START_CONFIRMATION_LEAD_MS = 100;

/** A run started in Redis may be asked about again this many times when each reply comes past its start window. */
const MAX_START_RECHECKS = 3;

/**
 * Redis's time as a reply told it: `redisMs` when Redis ran the call, which was at the latest at `sentAt` + the
 * local time since (`performance.now()` when the call was sent), and `localMs` when the reply was taken in.
 */
interface RedisInstant {
  redisMs: number;
  sentAt: number;
  localMs: number;
}

/** Runs a replica may hold claimed ahead, waiting for their time (they take no slot until then), per slot. */
const AHEAD_RUNS_PER_SLOT = 4;

/**
 * Executes the runs this replica claimed: each at its start time (a run claimed ahead waits for it, and starts
 * only once Redis confirmed it: lease held, task unchanged), its handler called with its context while its lease is
 * kept, its end recorded. Anything the handler throws or rejects with is a failed attempt. Counts the slots: a run
 * claimed when due takes one at its claim, a run claimed ahead at its time (those beyond the free slots wait for one),
 * until its handler ends. A handler is called within its run's start window (`HANDLER_START_DEADLINE_MS` after its
 * start in Redis), or Redis is asked again first: a change of the task meanwhile gives the run back. On shutdown,
 * waits for the handlers, then aborts and cancels the rest.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger('DistributedScheduler');
  private readonly runs = new Map<string, ActiveRun>();
  /** Runs of `runs` whose handler ended and whose finish is on its way: they hold no slot. */
  private endedRuns = 0;
  /** Runs of `runs` claimed ahead whose time has not come: they hold no slot yet. */
  private waitingForTime = 0;
  /** The handlers of runs claimed ahead, by local start deadline (`performance.now()`). */
  private readonly aheadStarts = new AheadStarts();
  private readonly slots: SlotGate;

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    @Inject(SCHEDULER_CORE) private readonly core: StatefulRedisCore,
    private readonly registry: WorkflowRegistry,
    private readonly leases: RunLeaseKeeper,
    private readonly finisher: RunFinisher,
    private readonly wakeSignal: WakeSignal,
    private readonly redisClock: RedisClock,
    changes: ChangeSubscriber,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {
    this.slots = new SlotGate(options.maxConcurrent);
    changes.onChange((event, taskId) => {
      if (event === 'removed') this.taskRemoved(taskId);
    });
  }

  /** Runs that hold a slot or wait for one: claimed when due, or claimed ahead and their time come; not ended. */
  get runningCount(): number {
    return this.runs.size - this.endedRuns - this.waitingForTime;
  }

  /** Runs due now this replica could take: `maxConcurrent` minus those holding or waiting for a slot. */
  get freeSlots(): number {
    return Math.max(this.options.maxConcurrent - this.runningCount, 0);
  }

  /** Runs this replica could claim ahead now: at most `AHEAD_RUNS_PER_SLOT` per slot wait for their time. */
  get aheadRoom(): number {
    return Math.max(AHEAD_RUNS_PER_SLOT * this.options.maxConcurrent - this.waitingForTime, 0);
  }

  /**
   * Takes a claimed run in. A run claimed ahead starts at `startAt` (`performance.now()`, converted by the caller
   * from Redis's start time so that it never falls before it); its lease is counted from the claim's sending
   * (`claimSentAt`) plus the time ahead (never after Redis's expiry).
   */
  start(claimed: ClaimedRun, claimSentAt: number, startAt: number): void {
    const aheadMs = Math.max(claimed.startedAt - claimed.claimedAt, 0);
    const run = new ActiveRun(claimed, this.options.instanceId, claimSentAt + aheadMs, claimSentAt);
    this.runs.set(run.key, run);
    this.leases.watch(run);
    run.localStartAt = startAt;
    if (aheadMs > 0) {
      run.waitingForTime = true;
      this.waitingForTime++;
    }
    // Confirmed a little ahead of its time: the confirmations of a whole second's runs are not on its start path.
    const started = aheadMs > 0 ? this.aheadStarts.at(startAt - START_CONFIRMATION_LEAD_MS) : Promise.resolve();
    run.done = started
      .then(() => this.execute(run))
      .catch((error: unknown) =>
        this.logger.error(`Run of task "${claimed.taskId}" could not be finished: ${scrubText(describeThrown(error))}`),
      )
      .finally(() => {
        run.stopRenewing();
        this.endHandler(run);
        this.runs.delete(run.key);
        this.endedRuns--;
        // Its finish recorded its end in the metrics: a task removed meanwhile loses those series again.
        if (run.taskRemoved) this.metrics?.forgetTask(this.options.namespace, claimed.taskId);
        // Its finish may have queued a retry or released a fire waiting under overlap `bufferOne`: look again.
        if (!run.endedQuietly) this.wakeSignal.wake();
      });
  }

  /**
   * A task was removed, here or by another replica (its change message): its metric series are deleted, so that
   * tasks added and removed at run time do not pile series up; a run of it still going deletes them again at its end.
   */
  taskRemoved(taskId: string): void {
    for (const run of this.runs.values()) if (run.claimed.taskId === taskId) run.taskRemoved = true;
    this.metrics?.forgetTask(this.options.namespace, taskId);
  }

  /**
   * Waits for the running handlers up to `shutdownTimeoutMs`, then aborts those still going and records them
   * cancelled.
   */
  async drain(): Promise<void> {
    await this.giveBackUnstarted();
    const running = [...this.runs.values()];
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(true), this.options.shutdownTimeoutMs)),
    );
    const drained = Promise.all(running.map((run) => run.done)).then(() => false);
    const late = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (late) await this.cancelRunning();
  }

  private async execute(run: ActiveRun): Promise<void> {
    // Cancelled by a shutdown, or its lease lost, before its time came: the handler is not called.
    if (run.finishing || run.controller.signal.aborted) return;
    const { claimed } = run;
    // The claim's reply: the claim started a run claimed when due.
    let clock: RedisInstant = { redisMs: claimed.claimedAt, sentAt: run.claimSentAt, localMs: run.claimedAt };
    if (claimed.startedAt > claimed.claimedAt) {
      // Claimed ahead: confirmed in Redis a little before its time, then it takes its slot at its time (those
      // beyond the free slots wait for a handler to end, at most a third of the lease or the look-ahead).
      const confirmed = await this.confirm(run, 'claimed ahead');
      if (confirmed === undefined) return;
      clock = confirmed;
      // Its local start, from the confirmation's reply (small, just before the start) and the tighter readings of
      // recent looks, unless the confirmation shows Redis's clock stepped back since them (they would start it
      // early). Never before its time; rounded up so that the runs of one confirmation share one timer.
      const bound = this.redisClock.boundAfter(confirmed.redisMs, confirmed.sentAt, confirmed.localMs);
      run.localStartAt = Math.ceil(claimed.startedAt - bound);
      await this.aheadStarts.at(run.localStartAt);
      // Given back meanwhile (a shutdown), or its lease lost: its handler is not called.
      if (run.finishing || run.controller.signal.aborted) return;
      this.timeCame(run);
      if (!(await this.takeSlot(run, Math.min(this.options.lookAheadMs, claimed.leaseMs / 3)))) return;
    } else if (!(await this.takeSlot(run, 0))) {
      // Started by Redis at its claim, into a slot that was free then: one taken since by a run claimed ahead whose
      // time came is not waited for (the run is given back at once, due again for any replica).
      return;
    }
    // Its start window may have passed (it waited for a slot, its replica paused, a reply came late): a change of
    // its task may have returned meanwhile, so Redis is asked again (task and lease) before the handler is called.
    for (let asked = 0; this.pastStartWindow(run, clock); asked++) {
      if (asked === MAX_START_RECHECKS) {
        await this.giveBack(run, `its start was confirmed ${asked} times, each reply past its start window`);
        return;
      }
      const rechecked = await this.confirm(run, 'started in Redis, its start window passed');
      if (rechecked === undefined) return;
      clock = rechecked;
    }
    // The connection was lost since Redis confirmed it: fail closed, as when it cannot be confirmed.
    if (!this.core.connection.isReady) {
      await this.giveBackUnreachable(run, 'confirmed');
      return;
    }
    const workflow = claimed.task.workflow;
    const handler = this.registry.handler(workflow);
    run.startedAt = performance.now();
    run.handlerCalled = true;
    // The fire lag of the real start, on Redis's clock: a local timer that fired late shows.
    const startedAtRedis = clock.redisMs + (run.startedAt - clock.localMs);
    this.metrics?.started(this.options.namespace, claimed.taskId, (startedAtRedis - claimed.scheduledAt) / 1000);
    this.leases.renewWhileRunning(run);
    let status: 'success' | 'failed' = 'success';
    let error: AttemptFailure | undefined;
    try {
      if (!handler) throw new Error(`workflow "${workflow}" is not registered on this replica`);
      await handler(run.context());
    } catch (thrown) {
      // Whatever it is (null, a symbol, an object that cannot be printed): a failed attempt, recorded at once.
      status = 'failed';
      error = attemptFailure(thrown);
    }
    this.endHandler(run);
    if (run.finishing) return;
    run.finishing = true;
    run.endedQuietly = status === 'success' && claimed.task.overlap !== 'bufferOne';
    // No renewal once the finish is sent: the finish releases the lease, so a renewal meanwhile would be refused.
    run.stopRenewing();
    await this.finisher.finish(run, status, error);
  }

  /**
   * Whether the run's handler would now be called past its start window: Redis's time now, at the latest (counted
   * from when the last call was sent), is `HANDLER_START_DEADLINE_MS` past the run's start in Redis or later.
   */
  private pastStartWindow(run: ActiveRun, clock: RedisInstant): boolean {
    const startedInRedisAt = Math.max(run.claimed.startedAt, clock.redisMs);
    const redisNowAtLatest = clock.redisMs + (performance.now() - clock.sentAt);
    return redisNowAtLatest - startedInRedisAt >= HANDLER_START_DEADLINE_MS;
  }

  /**
   * Asks Redis whether the run may start (see `RunLeaseKeeper.confirmStart`); answers Redis's time as the reply
   * told it, or undefined when it must not start (then it is ended: given back, or left to Redis).
   */
  private async confirm(run: ActiveRun, how: string): Promise<RedisInstant | undefined> {
    const { claimed } = run;
    const confirmation = this.core.connection.isReady
      ? await this.leases.confirmStart(run, START_CONFIRMATION_LEAD_MS)
      : 'unreachable';
    // Redis unreachable at its time (or its clock still before it).
    if (confirmation === 'unreachable' || confirmation.notYetMs !== undefined) {
      await this.giveBackUnreachable(run, how);
      return undefined;
    }
    if (!confirmation.started) {
      run.finishing = true;
      this.endHandler(run);
      this.logger.log(
        `Run of task "${claimed.taskId}" (fence ${claimed.fence}) ${how} not started: its task was removed, ` +
          'disabled or changed, or its lease was lost',
      );
      return undefined;
    }
    // Given back meanwhile (a shutdown): its handler is not called; its finish gives the run back.
    if (run.finishing) return undefined;
    return { redisMs: confirmation.startedAt, sentAt: confirmation.sentAt, localMs: confirmation.repliedAt };
  }

  /**
   * Shutdown: the runs claimed ahead whose handlers were not called yet are given back at once (the same attempt
   * is due again for another replica at its time), not waited for: they are not running.
   */
  private async giveBackUnstarted(): Promise<void> {
    const unstarted = [...this.runs.values()].filter((run) => !run.handlerCalled && !run.finishing);
    for (const run of unstarted) {
      run.finishing = true;
      run.abort('shutdown', 'shutdown: the replica stopped before the run started');
      this.endHandler(run);
    }
    this.aheadStarts.releaseAll();
    this.slots.releaseWaiters();
    await Promise.all(unstarted.map((run) => this.finisher.finish(run, 'unstarted', undefined).catch(() => undefined)));
  }

  /** The run's handler is over (or will never be called): its slot is free, even while its finish is on its way. */
  private endHandler(run: ActiveRun): void {
    if (run.handlerEnded) return;
    this.timeCame(run);
    run.handlerEnded = true;
    this.endedRuns++;
    if (run.holdsSlot) {
      run.holdsSlot = false;
      this.slots.give();
    }
    this.wakeSignal.slotFreed();
  }

  /** A run claimed ahead reached its time (or ended before): from now on it counts for a slot. */
  private timeCame(run: ActiveRun): void {
    if (!run.waitingForTime) return;
    run.waitingForTime = false;
    this.waitingForTime--;
    // Room for one more run claimed ahead: worth a look when the last one was short of it.
    this.wakeSignal.slotFreed();
  }

  /**
   * Takes a slot for the run's handler, waiting at most `maxWaitMs` for a handler to end (runs claimed ahead whose
   * time came together beyond the free slots); a run that got none is given back (the same attempt, due again at
   * once for any replica) and false is answered.
   */
  private async takeSlot(run: ActiveRun, maxWaitMs: number): Promise<boolean> {
    const taken = await this.slots.take(maxWaitMs);
    if (taken && !run.finishing && !run.controller.signal.aborted) {
      run.holdsSlot = true;
      return true;
    }
    if (taken) this.slots.give();
    if (run.finishing || run.controller.signal.aborted) return false;
    await this.giveBack(run, `found no free slot within ${maxWaitMs} ms`);
    return false;
  }

  /**
   * Redis unreachable at the run's time: fail closed, as a look would. Nothing ran, so the run is given back once
   * Redis answers (the same attempt, due again at once for any replica), or recorded lost if its lease runs out first.
   */
  private async giveBackUnreachable(run: ActiveRun, how: string): Promise<void> {
    const { taskId, fence } = run.claimed;
    run.finishing = true;
    this.endHandler(run);
    this.logger.warn(
      `Run of task "${taskId}" (fence ${fence}) ${how} not started: Redis is unreachable at its time; ` +
        'it is given back once Redis answers (the same attempt, due again at once), ' +
        'or recorded lost if its lease runs out first',
    );
    await this.finisher.finish(run, 'unstarted', undefined);
  }

  /** Gives a run whose handler was not called back (the same attempt, due again at once for any replica). */
  private async giveBack(run: ActiveRun, why: string): Promise<void> {
    run.finishing = true;
    this.endHandler(run);
    this.logger.debug(
      `Run of task "${run.claimed.taskId}" (fence ${run.claimed.fence}) ${why}: given back, due again at once`,
    );
    await this.finisher.finish(run, 'unstarted', undefined);
  }

  /** Shutdown timeout: aborts every run still going and records it `cancelled` (retried elsewhere per its policy). */
  private async cancelRunning(): Promise<void> {
    const { shutdownTimeoutMs } = this.options;
    await Promise.all(
      [...this.runs.values()].map(async (run) => {
        run.abort('shutdown', `shutdown: the handler did not finish within ${shutdownTimeoutMs} ms`);
        if (run.finishing) return run.done;
        run.finishing = true;
        run.stopRenewing();
        // A run whose handler was never called (claimed ahead, its time not come) is given back, no attempt used.
        await this.finisher
          .finish(
            run,
            run.handlerCalled ? 'cancelled' : 'unstarted',
            run.handlerCalled ? `the replica shut down (${shutdownTimeoutMs} ms timeout)` : undefined,
          )
          .catch(() => undefined);
        run.stopRenewing();
      }),
    );
  }
}
