import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { StatefulRedisCore } from '../../core/stateful-redis-core';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';
import type { SchedulerStats } from '../interfaces/scheduler-stats.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_CORE, SCHEDULER_METRICS } from '../scheduler.constants';
import { SchedulerStore } from '../store/scheduler-store';
import type { ClaimDecision } from '../store/scheduler-store.interface';
import type { StoredTask } from '../store/stored-task.interface';
import { ChangeSubscriber } from './change-subscriber';
import { ClaimingNotice } from './claiming-notice';
import { decideFire } from './claim-decisions';
import { DecidedBacklog } from './decided-backlog';
import { DeclaredTasksSync } from './declared-tasks.sync';
import { checkEvictionPolicy } from './eviction-policy.check';
import { RedisClock } from './redis-clock';
import { RunExecutor } from './run.executor';
import { RunLeaseKeeper } from './run-lease.keeper';
import { UndecidableTasks } from './undecidable-tasks';
import { WakeSignal } from './wake.signal';
import { WorkflowRegistry } from './workflow-registry';
import { liveReplicaMaxAgeMs } from '../options/live-replica-max-age';

/** After a look that found due fires but claimed nothing, the next look waits at least this long (no spin). */
const MIN_IDLE_SLEEP_MS = 20;

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
 * claim → hand the claimed runs to the RunExecutor. Between looks it sleeps until the earliest due fire (a
 * difference of Redis times; the local clock never decides what is due), at most `pollIntervalMs`, and wakes at
 * once on a change of the task set or when a slot frees. A failed look (Redis down) starts nothing and is retried
 * at the next poll.
 */
@Injectable()
export class SchedulerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('DistributedScheduler');
  private readonly undecidable = new UndecidableTasks(this.logger);
  private readonly claimingNotice = new ClaimingNotice(this.logger);
  private current: LoopState = 'created';
  private looping: Promise<void> = Promise.resolve();
  private lastObservation?: LoopObservation;
  /** The last look claimed fires and left more due (within the look-ahead window) than it could take. */
  private backlogged = false;
  private stopObservingSlots?: () => void;
  /** `performance.now()` of the last look that deleted the heartbeats of silent replicas. */
  private lastPruneAt = -Infinity;
  /** Fires the last look decided on beyond the free slots: claimed as slots free up, without another look. */
  private readonly backlog: DecidedBacklog;

  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    @Inject(SCHEDULER_CORE) private readonly core: StatefulRedisCore,
    private readonly store: SchedulerStore,
    private readonly registry: WorkflowRegistry,
    private readonly declaredTasks: DeclaredTasksSync,
    private readonly executor: RunExecutor,
    private readonly leases: RunLeaseKeeper,
    private readonly changes: ChangeSubscriber,
    private readonly wakeSignal: WakeSignal,
    /** Redis's clock against the local one (looks and confirmations): when a run claimed ahead starts locally. */
    private readonly redisClock: RedisClock,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {
    this.backlog = new DecidedBacklog(options.pollIntervalMs);
    changes.onChange(() => {
      // A change may have made a decided fire stale: the next look decides again.
      this.backlog.clear();
      this.wake();
    });
    registry.onRegister(() => this.wake());
    // A Redis that restarted empty (no persistence) has lost the declared tasks: the next look creates them again.
    core.connection.onReadyAgain(() => this.wake());
  }

  /** `created` → `running` (from bootstrap) → `stopping` (draining on shutdown) → `stopped`. */
  get state(): LoopState {
    return this.current;
  }

  /** Runs that hold a slot: claimed (ahead or not) and whose handler has not ended. */
  get runningCount(): number {
    return this.executor.runningCount;
  }

  /** What the last look found; undefined before the first. */
  get observation(): LoopObservation | undefined {
    return this.lastObservation;
  }

  /** This replica now: `{ instanceId, running, maxConcurrent, runningTasks, availableSlots, registeredWorkflows }`. */
  stats(): SchedulerStats {
    return {
      instanceId: this.options.instanceId,
      running: this.current === 'running',
      maxConcurrent: this.options.maxConcurrent,
      runningTasks: this.executor.runningCount,
      availableSlots: this.executor.freeSlots,
      registeredWorkflows: this.registry.names(),
    };
  }

  /** Ends the current sleep (a change of the task set, a freed slot, a new workflow). */
  wake(): void {
    this.wakeSignal.wake();
  }

  /**
   * Saves the declared tasks (retried by the looks if Redis is not there yet), subscribes to changes, starts
   * looking.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.current = 'running';
    this.stopObservingSlots = this.metrics?.observeFreeSlots({
      namespace: this.options.namespace,
      instanceId: this.options.instanceId,
      freeSlots: () => this.executor.freeSlots,
    });
    void checkEvictionPolicy(this.core.connection.client, this.logger, this.core.options.commandTimeoutMs);
    // Declared tasks are in Redis when the app is up, unless Redis is not: then the loop saves them first.
    await this.declaredTasks
      .save()
      .catch((error: Error) =>
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
    await this.executor.drain();
    this.current = 'stopped';
  }

  /** Stops for good: no more looks, the change subscription closed, the free slots no longer reported. */
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
      await this.wakeSignal.sleep(sleepMs);
    }
  }

  /** One look at Redis (or a claim of fires decided by the last one); returns how long to sleep after it. */
  private async look(): Promise<number> {
    const free = this.executor.freeSlots;
    const aheadRoom = this.executor.aheadRoom;
    // Slots freed just after a look that decided on more fires than it could take: those are claimed at once.
    if (free > 0 && this.backlog.size > 0) {
      const decided = this.backlog.take(free, performance.now());
      if (decided.decisions.length > 0) return this.claimDecided(decided.decisions, decided.tasks, free, aheadRoom);
    }
    this.backlog.clear();
    await this.declaredTasks.sync();
    void this.changes.ensure();
    const { historyLength, pollIntervalMs, maxConcurrent } = this.options;
    const workflows = this.registry.names();
    // At least one candidate even without a free slot: the health indicator reports the oldest overdue fire. With
    // free slots, up to `maxConcurrent` more due now are decided on, for the slots that free up next (the backlog),
    // and as many due later as may be claimed ahead.
    const limit = free > 0 ? free + maxConcurrent : 1;
    const peek = await this.store.peek({
      workflows,
      limit,
      aheadLimit: free > 0 ? aheadRoom : 0,
      passOver: this.undecidable.passedOver(),
      windowAt: Math.random(),
      heartbeatMaxAgeMs: this.heartbeatMaxAgeToPrune(),
    });
    this.redisClock.observe(peek.now, performance.now());
    this.leases.reportReaped(peek.lost);
    if (peek.givenBack > 0)
      this.logger.warn(
        `${peek.givenBack} run(s) of a claim whose reply was lost given back: never started here, due again at once`,
      );
    const candidates = peek.candidates;
    const oldest = candidates.reduce<number | null>(
      (min, due) => (min === null || due.fireTime < min ? due.fireTime : min),
      null,
    );
    // A fire looked at ahead is not overdue.
    this.observe({ oldestOverdueMs: oldest === null ? 0 : Math.max(peek.now - oldest, 0) });
    if (this.current !== 'running') return 0;
    // No free slot: the end of a run wakes the loop.
    this.wakeSignal.waitingForSlots = free === 0;
    if (free === 0) return pollIntervalMs;
    if (candidates.length === 0 && peek.pendingDue === 0) return this.sleepUntil(peek.nextWakeAt, peek.now, false);
    const decisions = candidates.flatMap((due): ClaimDecision[] => {
      try {
        const decision = decideFire(due, peek.now, historyLength);
        this.undecidable.decided(due.task.id);
        return [decision];
      } catch (error) {
        // A definition this replica cannot read (written by a newer version?) must not stop the other tasks.
        this.undecidable.passOver(due, error as Error);
        return [];
      }
    });
    const tasks = new Map(candidates.map((due) => [due.task.id, due.task]));
    // Fires due now take the free slots; fires due later in the window are claimed ahead, up to the room for those.
    const ahead = (decision: ClaimDecision) => decision.dueAt !== undefined && decision.dueAt > peek.now;
    const dueNow = decisions.filter((decision) => !ahead(decision));
    const dueLater = decisions.filter(ahead);
    this.backlog.keep([...dueNow.slice(free), ...dueLater.slice(aheadRoom)], tasks, peek.now, performance.now());
    const claimNow = [...dueNow.slice(0, free), ...dueLater.slice(0, aheadRoom)];
    const claimed = await this.claimAndStart(claimNow, tasks, free, aheadRoom);
    this.backlogged = claimed > 0 && dueNow.length >= free;
    // Every slot taken, more may be due (or the room for runs claimed ahead filled: more may be due later): the end
    // of a run, or a run claimed ahead reaching its time, is worth a look.
    this.wakeSignal.waitingForSlots = (claimed >= free && dueNow.length >= free) || dueLater.length >= aheadRoom;
    // More may be due than one look could take, or other replicas raced for some: look again at once while there
    // is room, until a look claims nothing (a fire left unclaimed would wait for the next window).
    if (claimed > 0 && (this.executor.freeSlots > 0 || this.executor.aheadRoom > 0)) return 0;
    return this.sleepAfterClaim(claimNow, peek.nextWakeAt, peek.now, claimed > 0);
  }

  /** Claims fires the last look decided on (the backlog) for slots that freed since. */
  private async claimDecided(
    decisions: ClaimDecision[],
    tasks: ReadonlyMap<string, StoredTask>,
    free: number,
    aheadRoom: number,
  ): Promise<number> {
    const claimed = await this.claimAndStart(decisions, tasks, free, aheadRoom);
    const more = this.backlog.size > 0 || claimed >= free;
    this.backlogged = claimed > 0 && more;
    this.wakeSignal.waitingForSlots = more;
    if (this.current !== 'running') return 0;
    // Slots still free (fires another replica took meanwhile): the rest of the backlog, or a look, at once.
    if (this.executor.freeSlots > 0) return 0;
    return this.options.pollIntervalMs;
  }

  /**
   * Claims the decided fires (and due pending runs) into `free` slots, and up to `aheadRoom` fires ahead, and
   * starts what it got; returns how many.
   */
  private async claimAndStart(
    decisions: ClaimDecision[],
    tasks: ReadonlyMap<string, StoredTask>,
    free: number,
    aheadRoom: number,
  ): Promise<number> {
    const claimSentAt = performance.now();
    const claimed = await this.store.claim({
      workflows: this.registry.names(),
      maxClaims: free,
      maxAhead: aheadRoom,
      defaultLeaseMs: this.options.leaseMs,
      decisions,
      candidates: tasks,
    });
    const repliedAt = performance.now();
    for (const run of claimed) {
      // At Redis's start time by the tightest known bound on the clocks' offset: this claim's own (its reply may be
      // large and slow), or a recent quick look's; never before the start time.
      const startAt = this.redisClock.localTimeOf(run.startedAt, run.claimedAt - repliedAt);
      this.executor.start(run, claimSentAt, startAt);
    }
    return claimed.length;
  }

  /**
   * The claimed fires' next due times came after the peek: wake for them too (a period shorter than the poll),
   * half the look-ahead before them, so that one look claims the fires of half a window (as peek's nextWakeAt).
   */
  private sleepAfterClaim(
    decisions: ClaimDecision[],
    nextWakeAt: number | null,
    now: number,
    progressed: boolean,
  ): number {
    const wakeBeforeMs = Math.floor(this.options.lookAheadMs / 2);
    const wakeAt = decisions.reduce<number | null>(
      (earliest, decision) =>
        decision.nextDueScore !== null && (earliest === null || decision.nextDueScore - wakeBeforeMs < earliest)
          ? decision.nextDueScore - wakeBeforeMs
          : earliest,
      nextWakeAt,
    );
    return Math.min(Math.max(this.sleepUntil(wakeAt, now, progressed), MIN_IDLE_SLEEP_MS), this.options.pollIntervalMs);
  }

  /**
   * The age past which this look deletes other replicas' heartbeats (stopped or crashed pods), at most once per
   * `pollIntervalMs`; 0 (keep them) in between. The age is the one `addTask` counts a replica live within.
   */
  private heartbeatMaxAgeToPrune(): number {
    const now = performance.now();
    if (now - this.lastPruneAt < this.options.pollIntervalMs) return 0;
    this.lastPruneAt = now;
    return liveReplicaMaxAgeMs(this.options);
  }

  /** The wait until `nextWakeAt`, both in Redis time, bounded by `pollIntervalMs`. */
  private sleepUntil(nextWakeAt: number | null, now: number, progressed: boolean): number {
    const poll = this.options.pollIntervalMs;
    if (nextWakeAt === null) return poll;
    return Math.min(Math.max(nextWakeAt - now, progressed ? 0 : MIN_IDLE_SLEEP_MS), poll);
  }

  private observe(observation: Omit<LoopObservation, 'at'>): void {
    this.lastObservation = { at: performance.now(), ...observation };
    this.claimingNotice.looked(observation.error);
  }
}
