import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import { CronSchedule } from '../cron/cron-schedule';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerStats } from '../interfaces/scheduler-stats.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_METRICS } from '../scheduler.constants';
import { SchedulerStore } from '../store/scheduler-store';
import type {
  ClaimDecision,
  ClaimedRun,
  DueCandidate,
  FinishStatus,
  PeekResult,
} from '../store/scheduler-store.interface';
import type { TaskDefinition } from '../validation/task-definition';
import { ActiveRun } from './active-run';
import { AheadStarts } from './ahead-starts';
import { RedisClock } from './redis-clock';
import { ChangeSubscriber } from './change-subscriber';
import { decideFire, dueScoreOf } from './claim-decisions';
import { checkEvictionPolicy } from './eviction-policy.check';
import { SchedulerCore } from './scheduler-core';
import { WorkflowRegistry } from './workflow-registry';

/** After a look that found due fires but claimed nothing, the next look waits at least this long (no spin). */
const MIN_IDLE_SLEEP_MS = 20;
/** A finish that fails (Redis unreachable) is tried again this often while the lease may still hold. */
const FINISH_RETRY_MS = 500;
/** A due task no decision can be made on is passed over this long before this replica tries it again. */
const UNDECIDABLE_PASS_OVER_MS = 30_000;

/** A due task this replica could not decide on: passed over by peek until `until`; warned about once per version. */
interface UndecidableTask {
  version: number;
  /** `performance.now()` until which peek passes it over. */
  until: number;
}

export type LoopState = 'created' | 'running' | 'stopping' | 'stopped';

/** What the last look at Redis found, for the health indicator. */
export interface LoopObservation {
  /** `performance.now()` at the end of the last look, successful or not. */
  at: number;
  /** The error of the last look, if it failed. */
  error?: string;
  /** How far behind its time the oldest due fire was (ms of Redis time), 0 when none was due. */
  oldestOverdueMs: number | null;
}

/**
 * The scheduler of one replica. Each look: peek (heartbeat, reap expired leases, due fires of the workflows
 * registered here) → a decision per due fire (misfire policy, next fire after the claimed one, jitter) →
 * claim → run the handlers, renewing each lease every `leaseMs / 3` → finish. Between looks it sleeps until the
 * earliest due fire (a difference of Redis times; the local clock never decides what is due), at most
 * `pollIntervalMs`, and wakes at once on a change of the task set or when a slot frees. A failed look (Redis
 * down) starts nothing and is retried at the next poll.
 */
@Injectable()
export class SchedulerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('DistributedScheduler');
  private readonly runs = new Map<string, ActiveRun>();
  /** Runs of `runs` whose handler ended and whose finish is on its way: they hold no slot. */
  private endedRuns = 0;
  /** The handlers of runs claimed ahead, by local start deadline (`performance.now()`). */
  private readonly aheadStarts = new AheadStarts();
  /** Redis's clock against the local one, from the replies of looks: when a run claimed ahead starts locally. */
  private readonly redisClock = new RedisClock();
  /** `performance.now()` of the last change of the task set heard on the channel. */
  private lastChangeAt = -Infinity;
  private readonly changes: ChangeSubscriber;
  private current: LoopState = 'created';
  private looping: Promise<void> = Promise.resolve();
  private wakeSleeper?: () => void;
  private wakeRequested = false;
  /** Whether the declared tasks were upserted (once per start: a deploy's definitions replace the old ones). */
  private declaredUpserted = false;
  /** Set on every reconnect: the declared tasks Redis lost (it restarted empty) are created again. */
  private declaredRecheck = false;
  /** Due tasks no decision could be made on (e.g. a time zone this runtime does not know), by id. */
  private readonly undecidable = new Map<string, UndecidableTask>();
  private lastObservation?: LoopObservation;
  /** The last look claimed fires and left more due (within the look-ahead window) than it could take. */
  private backlogged = false;
  private stopObservingSlots?: () => void;

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    private readonly core: SchedulerCore,
    private readonly store: SchedulerStore,
    private readonly registry: WorkflowRegistry,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {
    this.changes = new ChangeSubscriber(core.connection.client, store.changedChannel, () => {
      this.lastChangeAt = performance.now();
      this.wake();
    });
    registry.onRegister(() => this.wake());
    // A Redis that restarted empty (no persistence) has lost the declared tasks: create them again.
    core.connection.onReadyAgain(() => {
      if (this.declaredUpserted) this.declaredRecheck = true;
      this.wake();
    });
  }

  get state(): LoopState {
    return this.current;
  }

  /** Runs that hold a slot: claimed (ahead or not) and whose handler has not ended. */
  get runningCount(): number {
    return this.runs.size - this.endedRuns;
  }

  get freeSlots(): number {
    return Math.max(this.options.maxConcurrent - this.runningCount, 0);
  }

  get observation(): LoopObservation | undefined {
    return this.lastObservation;
  }

  get subscribed(): boolean {
    return this.changes.subscribed;
  }

  stats(): SchedulerStats {
    return {
      instanceId: this.options.instanceId,
      running: this.current === 'running',
      maxConcurrent: this.options.maxConcurrent,
      runningTasks: this.runningCount,
      availableSlots: this.freeSlots,
      registeredWorkflows: this.registry.names(),
    };
  }

  /** Ends the current sleep (a change of the task set, a freed slot, a new workflow). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.current = 'running';
    this.stopObservingSlots = this.metrics?.observeFreeSlots({
      namespace: this.options.namespace,
      instanceId: this.options.instanceId,
      freeSlots: () => this.freeSlots,
    });
    void checkEvictionPolicy(this.core.connection.client, this.logger, this.core.options.commandTimeoutMs);
    // Declared tasks are in Redis when the app is up, unless Redis is not: then the loop saves them first.
    await this.saveDeclaredTasks().catch((error: Error) =>
      this.logger.warn(
        `Could not save the @DistributedCron tasks yet (${scrubText(error.message)}); retrying every poll`,
      ),
    );
    void this.changes.ensure();
    this.looping = this.loop();
  }

  /** Stops claiming at once, waits for running handlers up to `shutdownTimeoutMs`, then aborts and cancels the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.current !== 'running') return;
    this.current = 'stopping';
    this.wake();
    await this.looping;
    const running = [...this.runs.values()];
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(true), this.options.shutdownTimeoutMs)),
      );
      const drained = Promise.all(running.map((run) => run.done)).then(() => false);
      const late = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (late) await this.cancelRunning();
    }
    this.current = 'stopped';
  }

  onApplicationShutdown(): void {
    this.current = 'stopped';
    this.wake();
    this.changes.close();
    this.stopObservingSlots?.();
  }

  private async loop(): Promise<void> {
    while (this.current === 'running') {
      let sleepMs: number = this.options.pollIntervalMs;
      this.backlogged = false;
      try {
        sleepMs = await this.look();
      } catch (error) {
        this.observe({
          error: scrubText((error as Error).message),
          oldestOverdueMs: this.lastObservation?.oldestOverdueMs ?? null,
        });
      }
      // While more fires are due than this replica could take, the finishes wait (briefly): claims go first.
      if (this.backlogged && this.current === 'running') this.store.holdFinishes();
      else this.store.releaseFinishes();
      if (this.current !== 'running') break;
      await this.sleep(sleepMs);
    }
  }

  /** One look at Redis; returns how long to sleep after it. */
  private async look(): Promise<number> {
    if (!this.declaredUpserted) await this.saveDeclaredTasks();
    else if (this.declaredRecheck) await this.restoreDeclaredTasks();
    void this.changes.ensure();
    const { instanceId, historyLength, leaseMs, pollIntervalMs, lookAheadMs } = this.options;
    const workflows = this.registry.names();
    const free = this.freeSlots;
    // At least one candidate even without a free slot: the health indicator reports the oldest overdue fire.
    const limit = Math.max(free, 1);
    const peek = await this.store.peek(
      instanceId,
      workflows,
      limit,
      historyLength,
      this.passedOver(),
      lookAheadMs,
      Math.random(),
    );
    this.redisClock.observe(peek.now, performance.now());
    this.reportLost(peek);
    const candidates = peek.candidates;
    const oldest = candidates.reduce<number | null>(
      (min, due) => (min === null || due.fireTime < min ? due.fireTime : min),
      null,
    );
    // A fire looked at ahead is not overdue.
    this.observe({ oldestOverdueMs: oldest === null ? 0 : Math.max(peek.now - oldest, 0) });
    if (this.current !== 'running') return 0;
    // No free slot: the end of a run wakes the loop.
    if (free === 0) return pollIntervalMs;
    if (candidates.length === 0 && peek.pendingDue === 0) return this.sleepUntil(peek.nextWakeAt, peek.now, false);
    const decisions = candidates.flatMap((due): ClaimDecision[] => {
      try {
        const decision = decideFire(due, peek.now, historyLength);
        this.undecidable.delete(due.task.id);
        return [decision];
      } catch (error) {
        // A definition this replica cannot read (written by a newer version?) must not stop the other tasks.
        this.passOver(due, error as Error);
        return [];
      }
    });
    const tasks = new Map(candidates.map((due) => [due.task.id, due.task]));
    const claimSentAt = performance.now();
    const claimed = await this.store.claim(
      instanceId,
      workflows,
      free,
      leaseMs,
      historyLength,
      decisions,
      lookAheadMs,
      tasks,
    );
    const repliedAt = performance.now();
    for (const run of claimed) this.start(run, claimSentAt, repliedAt);
    this.backlogged = claimed.length > 0 && candidates.length >= limit;
    // More may be due than one look could take: look again at once while slots are free.
    if (claimed.length > 0 && (claimed.length >= free || candidates.length >= limit) && this.freeSlots > 0) return 0;
    // The claimed fires' next due times came after the peek: wake for them too (a period shorter than the poll),
    // as early as they may be claimed ahead.
    const wakeAt = decisions.reduce<number | null>(
      (earliest, decision) =>
        decision.nextDueScore !== null && (earliest === null || decision.nextDueScore - lookAheadMs < earliest)
          ? decision.nextDueScore - lookAheadMs
          : earliest,
      peek.nextWakeAt,
    );
    return Math.min(Math.max(this.sleepUntil(wakeAt, peek.now, claimed.length > 0), MIN_IDLE_SLEEP_MS), pollIntervalMs);
  }

  /** The ids peek passes over now: due tasks this replica could not decide on lately. */
  private passedOver(): string[] {
    const now = performance.now();
    return [...this.undecidable].filter(([, task]) => task.until > now).map(([id]) => id);
  }

  /** Passes over a due task no decision could be made on for a while; warns once per task and definition version. */
  private passOver(due: DueCandidate, error: Error): void {
    const { id, version } = due.task;
    const known = this.undecidable.get(id);
    this.undecidable.set(id, { version, until: performance.now() + UNDECIDABLE_PASS_OVER_MS });
    if (known?.version === version) return;
    this.logger.warn(
      `Task "${id}": no decision for its fire ${new Date(due.fireTime).toISOString()}: ${scrubText(error.message)}; ` +
        `this replica passes it over (tries again every ${UNDECIDABLE_PASS_OVER_MS / 1000} s, warns again when its definition changes)`,
    );
  }

  /** The wait until `nextWakeAt`, both in Redis time, bounded by `pollIntervalMs`. */
  private sleepUntil(nextWakeAt: number | null, now: number, progressed: boolean): number {
    const poll = this.options.pollIntervalMs;
    if (nextWakeAt === null) return poll;
    return Math.min(Math.max(nextWakeAt - now, progressed ? 0 : MIN_IDLE_SLEEP_MS), poll);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || ms <= 0) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private observe(observation: Omit<LoopObservation, 'at'>): void {
    this.lastObservation = { at: performance.now(), ...observation };
  }

  /**
   * Upserts the `@DistributedCron` tasks (a deploy): an unchanged definition keeps its next fire, and so does a
   * changed one whose cron and time zone are unchanged (its due score follows the new jitter); a new cron or time
   * zone takes the first fire after Redis's now. The decorator's `enabled` is the initial state only (the store
   * keeps an existing task's).
   */
  private async saveDeclaredTasks(): Promise<void> {
    const declared = this.registry.declaredTasks();
    if (declared.length > 0) {
      const now = await this.store.now('upsertDecorated');
      const stored = new Map(
        (await this.store.getTasks(declared.map((definition) => definition.id))).map((task) => [task.id, task]),
      );
      for (const definition of declared) {
        const current = stored.get(definition.id);
        const keep =
          current !== undefined &&
          current.cron === definition.cron &&
          current.timeZone === definition.timeZone &&
          current.nextRunAt !== null;
        const nextRunAt = keep ? current.nextRunAt : firstFireAfter(definition, now);
        await this.store.saveTask(
          definition,
          nextRunAt,
          dueScoreOf(definition.id, nextRunAt, definition.jitterMs),
          'upsertDecorated',
        );
      }
    }
    this.declaredUpserted = true;
  }

  /**
   * After a reconnect, creates the declared tasks Redis lost with the namespace's data (a restart without
   * persistence). Those it has are left as they are: not upserted again, so that a replica of an older version
   * reconnecting during a rolling deploy does not put its definitions back over the newer ones; and those removed
   * at run time stay removed until the next deploy.
   */
  private async restoreDeclaredTasks(): Promise<void> {
    this.declaredRecheck = false;
    try {
      const declared = this.registry.declaredTasks();
      if (declared.length === 0) return;
      const now = await this.store.now('restoreDecorated');
      for (const definition of declared) {
        const nextRunAt = firstFireAfter(definition, now);
        await this.store.restoreDeclaredTask(
          definition,
          nextRunAt,
          dueScoreOf(definition.id, nextRunAt, definition.jitterMs),
        );
      }
    } catch (error) {
      this.declaredRecheck = true;
      throw error;
    }
  }

  /**
   * Takes a claimed run in. A run claimed ahead starts on a local timer at its start time, converted to the local
   * clock with the tightest known lower bound on Redis's clock offset (RedisClock: Redis had read its clock before
   * each reply arrived, so the handler never starts before its time); its lease is counted from the claim's
   * sending plus the time ahead (never after Redis's expiry).
   */
  private start(claimed: ClaimedRun, claimSentAt: number, repliedAt: number): void {
    const aheadMs = Math.max(claimed.startedAt - claimed.claimedAt, 0);
    const run = new ActiveRun(claimed, this.options.instanceId, claimSentAt + aheadMs);
    this.runs.set(run.key, run);
    run.watchLease((why) => this.leaseLost(run, why));
    // At Redis's start time by the tightest known bound on the clocks' offset: this claim's own (its reply may be
    // large and slow), or a recent quick look's; never before the start time.
    const startAt = this.redisClock.localTimeOf(claimed.startedAt, claimed.claimedAt - repliedAt);
    const started = aheadMs > 0 ? this.aheadStarts.at(startAt) : Promise.resolve();
    run.done = started
      .then(() => this.execute(run))
      .catch((error: Error) =>
        this.logger.error(`Run of task "${claimed.taskId}" could not be finished: ${scrubText(error.message)}`),
      )
      .finally(() => {
        run.stopRenewing();
        this.endHandler(run);
        this.runs.delete(run.key);
        this.endedRuns--;
        // Its finish may have released a fire waiting under overlap `bufferOne`: look again.
        this.wake();
      });
  }

  /** The run's handler is over (or will never be called): its slot is free, even while its finish is on its way. */
  private endHandler(run: ActiveRun): void {
    if (run.handlerEnded) return;
    run.handlerEnded = true;
    this.endedRuns++;
    this.wake();
  }

  private async execute(run: ActiveRun): Promise<void> {
    // Cancelled by a shutdown, or its lease lost, before its time came: the handler is not called.
    if (run.finishing || run.controller.signal.aborted) return;
    const { claimed } = run;
    const ahead = claimed.startedAt > claimed.claimedAt;
    // Claimed ahead, and the task removed or disabled before its time (which cancels the run in Redis).
    const held = ahead && this.core.connection.isReady ? await this.stillHeld(run) : true;
    if (held === false) {
      run.finishing = true;
      this.endHandler(run);
      this.logger.log(
        `Run of task "${claimed.taskId}" (fence ${claimed.fence}) claimed ahead not started: the task was removed or ` +
          'disabled before its time',
      );
      return;
    }
    // Claimed ahead, and Redis is unreachable at its time: fail closed, as a look would; it is retried per its policy.
    if (ahead && (!this.core.connection.isReady || held === 'unknown')) {
      run.finishing = true;
      this.endHandler(run);
      this.logger.warn(
        `Run of task "${claimed.taskId}" (fence ${claimed.fence}) claimed ahead not started: Redis is unreachable at its time; ` +
          'it is recorded cancelled once Redis answers (and retried per its policy), or lost if its lease runs out first',
      );
      await this.finish(run, 'cancelled', 'not started: Redis was unreachable at its time');
      return;
    }
    const workflow = claimed.task.workflow;
    const handler = this.registry.handler(workflow);
    run.startedAt = performance.now();
    this.metrics?.started(this.options.namespace, claimed.taskId, (claimed.startedAt - claimed.scheduledAt) / 1000);
    run.renewTimer = setInterval(() => void this.renew(run), Math.max(Math.floor(claimed.leaseMs / 3), 1));
    let status: 'success' | 'failed' = 'success';
    let error: string | undefined;
    try {
      if (!handler) throw new Error(`workflow "${workflow}" is not registered on this replica`);
      await handler(run.context());
    } catch (thrown) {
      status = 'failed';
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    this.endHandler(run);
    if (run.finishing) return;
    run.finishing = true;
    // No renewal once the finish is sent: the finish releases the lease, so a renewal meanwhile would be refused.
    run.stopRenewing();
    await this.finish(run, status, error);
  }

  /**
   * Whether a run claimed ahead still holds its lease at its time. Removing or disabling a task cancels such a
   * run in Redis and publishes a change, so Redis is asked (a renewal) only when a change was heard since the
   * claim, or when changes cannot be heard; `'unknown'` when it could not be asked.
   */
  private async stillHeld(run: ActiveRun): Promise<boolean | 'unknown'> {
    if (this.changes.subscribed && this.lastChangeAt < run.claimedAt) return true;
    const { taskId, fence, leaseMs } = run.claimed;
    const sentAt = performance.now();
    try {
      const held = await this.store.renew(taskId, fence, this.options.instanceId, leaseMs);
      if (held) run.leaseHeld(sentAt);
      return held;
    } catch {
      return 'unknown';
    }
  }

  /** Records the run's end; a failed call is retried while the lease may hold (after that Redis records it lost). */
  private async finish(run: ActiveRun, status: FinishStatus, error: string | undefined): Promise<void> {
    const { taskId, fence } = run.claimed;
    const seconds = run.elapsedSeconds;
    const { instanceId, historyLength, namespace } = this.options;
    for (;;) {
      try {
        const result = await this.store.finish({ taskId, fence, instanceId, status, error, historyLength });
        run.stopRenewing();
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

  /**
   * Renews a run's lease; a refusal aborts its signal. A renewal that fails or hangs (Redis cut off or paused)
   * leaves it to the run's lease deadline, which aborts the signal locally once the lease may have expired.
   */
  private async renew(run: ActiveRun): Promise<void> {
    if (run.renewing || run.controller.signal.aborted) return;
    const { taskId, fence, leaseMs } = run.claimed;
    const instanceId = this.options.instanceId;
    run.renewing = true;
    const sentAt = performance.now();
    try {
      const held = await this.store.renew(taskId, fence, instanceId, leaseMs);
      if (held) run.leaseHeld(sentAt);
      // Once the finish is sent, a refusal is the finish's release of the lease, not a lost lease.
      else if (!run.finishing) this.leaseLost(run, 'Redis refused the renewal (the lease expired or was taken over)');
    } catch (error) {
      run.lastRenewalError = scrubText((error as Error).message);
    } finally {
      run.renewing = false;
    }
  }

  /** Runs whose leases expired, reaped by this look (their replica crashed, paused or lost Redis). */
  private reportLost(peek: PeekResult): void {
    for (const lost of peek.lost) {
      const outcome = lost.retryAt === null ? 'recorded failed (no attempt left)' : 'retried';
      this.logger.warn(
        `Run of task "${lost.taskId}" (fence ${lost.fence}, attempt ${lost.attempt}) lost its lease: recorded lost and ${outcome}`,
      );
      if (lost.disabled)
        this.logger.warn(
          `Task "${lost.taskId}" is disabled after failing too many fires in a row (its last run lost its lease)`,
        );
    }
  }

  private leaseLost(run: ActiveRun, why: string): void {
    if (run.controller.signal.aborted || run.finishing) return;
    const { taskId, fence } = run.claimed;
    run.stopRenewing();
    run.abort('lease lost', `the lease of task "${taskId}" was lost`);
    this.metrics?.leaseLost(this.options.namespace, taskId);
    this.logger.warn(
      `Lease of task "${taskId}" (fence ${fence}, attempt ${run.claimed.attempt}) lost: ${why}. Its signal is aborted; ` +
        'its completion will be refused and the attempt recorded lost',
    );
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
        await this.finish(run, 'cancelled', `the replica shut down (${shutdownTimeoutMs} ms timeout)`).catch(
          () => undefined,
        );
        run.stopRenewing();
      }),
    );
  }
}

/** The first fire of a declared task after Redis's `now`, or null when its expression has none. */
function firstFireAfter(definition: TaskDefinition, now: number): number | null {
  return CronSchedule.parse(definition.cron, definition.timeZone).nextAfter(now);
}
