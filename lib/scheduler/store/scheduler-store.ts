import type { Cluster, Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '../../core/errors/error-code';
import { classifyRedisError } from '../../core/errors/redis-error.mapper';
import type { FeatureSend, OperationInputs } from '../../core/operations/operation-pipeline';
import type { FeatureScripts, ScriptSet } from '../../core/scripts/script-runner';
import type { TaskRun } from '../interfaces/scheduled-task.interface';
import { SCHEDULER_SCRIPTS, SchedulerScriptName } from './scheduler-script-names';
import { schedulerBaseKey, schedulerChangedChannel, schedulerKeys } from './scheduler-keys';
import type {
  ChangePublishCommand,
  ClaimedRun,
  ClaimedRunKind,
  ClaimInput,
  FinishRunInput,
  FinishRunResult,
  StartRunInput,
  StartRunResult,
  LostRun,
  PeekInput,
  PeekResult,
  RenewLeaseInput,
  SaveTaskInput,
  SaveTaskMode,
  SaveTaskResult,
  ScheduledDefinition,
  SetEnabledInput,
} from './scheduler-store.interface';
import { TickBatcher } from './tick-batcher';
import { START_WINDOW_MS, untilStartWindowEnds } from './start-window';
import { toStoreError } from './store-error.mapper';
import {
  parseHistoryEntry,
  parseRunningRecord,
  parseTask,
  serializeDefinition,
  TaskReply,
} from './store-reply-parsers';
import type { StoredTask } from './stored-task.interface';

/**
 * Options of a `SchedulerStore` beyond its namespace. The first three are the replica's constants, given once:
 * every look, claim, lease and finish of the store is this replica's.
 */
export interface SchedulerStoreOptions {
  /** The replica the store looks, claims, holds leases and finishes runs for. */
  instanceId: string;
  /** The runs kept in a task's history (older entries are trimmed as runs end or fires are missed). */
  historyLength: number;
  /** How far ahead of their due time fires are looked at and claimed (0: only once due). */
  lookAheadMs: number;
  /**
   * The core pipeline's `send` for the feature (`OperationPipeline.forFeature('scheduler')`): refusal before
   * init, call deadline, `StatefulError` mapping, metrics, logging. Without it calls go straight to Redis.
   */
  send?: FeatureSend;
  /** How the scripts announce task-set changes; default `SPUBLISH` on a cluster, else `PUBLISH`. */
  publish?: ChangePublishCommand;
  /**
   * How long a call refused while the namespace's cluster slot migrates (`CLUSTER_RESHARDING`: the script did not
   * run) is sent again, with backoff, before the refusal is the call's error; default 2000 ms.
   */
  reshardingRetryMs?: number;
  /** Told of each such retry (a metric counts them). */
  onReshardingRetry?: (operation: string) => void;
}

/** A script's refusal to run without the keys of the workflows it names (lua/scheduler/includes/namespaceKeys). */
const UNDECLARED_WORKFLOWS = /^UNDECLARED_WORKFLOWS (\[.*\])$/;
/** Calls again with the workflows a refusal named: each refusal adds at least one, so a few are enough. */
const MAX_UNDECLARED_RETRIES = 3;
/** The first wait before a call refused during a slot migration is sent again; it doubles up to the maximum. */
const RESHARDING_FIRST_DELAY_MS = 25;
const RESHARDING_MAX_DELAY_MS = 400;
/** Lost claims remembered until a look gives their runs back; older ones are left to lease expiry. */
const MAX_LOST_CLAIMS = 32;

/** `waitMs`: how long until a run of the task that Redis confirmed ahead starts (the change returns after it). */
type SaveReply = [status: 'changed' | 'unchanged' | 'conflict', task: TaskReply, waitMs?: number];
type CandidatesReply = Array<[TaskReply, number]>;
type ClaimReply = [
  now: number,
  runs: Array<[string, number, number, number, number, number, ClaimedRunKind, TaskReply | null]>,
];
type StartReply = [now: number, started: number[]];
type PeekReply = [
  now: number,
  candidates: CandidatesReply,
  pendingDue: number,
  nextWakeAt: number,
  lost: Array<[string, number, number, number, number]>,
  givenBack: number,
];

/** The operation `saveTask` runs as, per mode: the public call it serves, named in errors and metrics. */
const SAVE_OPERATIONS: Record<SaveTaskMode, string> = {
  create: 'addTask',
  update: 'updateTask',
  upsertDecorated: 'upsertDecorated',
  createIfAbsent: 'restoreDecorated',
};

function optionalNumber(value: number | null): string {
  return value === null ? '' : String(value);
}

function orNull(value: number): number | null {
  return value === -1 ? null : value;
}

/** What `peek` found, from its reply. */
function lookResult(
  now: number,
  candidates: CandidatesReply,
  pendingDue: number,
  nextWakeAt: number,
  lost: LostRun[],
  givenBack: number,
): PeekResult {
  return {
    now,
    candidates: candidates.map(([task, fireTime]) => ({ task: parseTask(task), fireTime })),
    pendingDue,
    nextWakeAt: orNull(nextWakeAt),
    lost,
    givenBack,
  };
}

/**
 * The scheduler's state in Redis, one namespace: every method is one script call (one round trip), atomic,
 * with Redis TIME as the clock. Unknown ids give `NOT_FOUND`, an existing id on create `ALREADY_EXISTS`
 * (`StatefulError`s); every other failure is the pipeline's (see `SchedulerStoreOptions.send`).
 */
export class SchedulerStore {
  /** The scripts this store runs, for `ScriptRunner.register` before the core preloads them. */
  static readonly SCRIPTS: ScriptSet<SchedulerScriptName> = SCHEDULER_SCRIPTS;

  /** The channel the scripts publish task-set changes on (`<base>:changed`); replicas wake on it. */
  readonly changedChannel: string;
  /** The command the scripts publish with: `SPUBLISH` (subscribe with `SSUBSCRIBE`), `PUBLISH`, or `none`. */
  readonly publishCommand: ChangePublishCommand;
  /** `<prefix>:{<ns>:sched}`: the prefix of every key of the namespace (`schedulerKeys`). */
  private readonly base: string;
  private readonly publishArgument: string;
  private readonly send: FeatureSend;
  private readonly instanceId: string;
  private readonly historyLength: number;
  private readonly lookAheadMs: number;
  private readonly finishes = new TickBatcher<FinishRunInput, FinishRunResult>((runs) => this.finishMany(runs));
  private readonly starts = new TickBatcher<StartRunInput, StartRunResult>(
    (runs) => this.startMany(runs),
    (run) => String(run.leadMs),
  );
  /** The workflows whose due and pending keys every call declares: those used here, and those scripts asked for. */
  private readonly workflows = new Set<string>();
  /** The ids of this replica's claims that failed (their replies may have been lost), until a look gives them back. */
  private lostClaims: string[] = [];
  private readonly reshardingRetryMs: number;
  private readonly onReshardingRetry?: (operation: string) => void;

  constructor(
    private readonly scripts: FeatureScripts<ScriptSet<SchedulerScriptName>>,
    client: Redis | Cluster,
    keyPrefix: string,
    private readonly namespace: string,
    options: SchedulerStoreOptions,
  ) {
    this.instanceId = options.instanceId;
    this.historyLength = options.historyLength;
    this.lookAheadMs = options.lookAheadMs;
    this.base = schedulerBaseKey(keyPrefix, namespace);
    this.changedChannel = schedulerChangedChannel(keyPrefix, namespace);
    this.publishCommand = options.publish ?? (client.isCluster ? 'SPUBLISH' : 'PUBLISH');
    this.publishArgument = this.publishCommand === 'none' ? '' : this.publishCommand;
    this.send = options.send ?? ((_operation, _inputs, command) => command());
    this.reshardingRetryMs = options.reshardingRetryMs ?? 2000;
    this.onReshardingRetry = options.onReshardingRetry;
  }

  /**
   * Writes a definition. `create`: ALREADY_EXISTS if the id exists. `upsertDecorated`: `definition.enabled` is only the
   * initial state of a new task; for an existing one `enabled` is run-time state (disableTask, disabled after
   * failures), neither compared nor changed: an unchanged definition keeps its schedule (changed=false), a
   * changed one is saved. `update`: NOT_FOUND if absent; `expectedVersion` other than the stored one → conflict,
   * nothing written. A changed definition of an enabled task that keeps its cron and time zone keeps its stored
   * next fire (`dueScore` is used when `nextRunAt` is that fire, else the stored due score stays); otherwise
   * `nextRunAt` null (or the task disabled) = no next fire. Enabling a disabled task resets its failureCount.
   * `operation`: the public call named in errors and metrics (default: the mode's, e.g. `addTask` for `create`).
   */
  async saveTask(save: SaveTaskInput): Promise<SaveTaskResult> {
    const [status, task, waitMs] = await this.callSave<SaveReply>(save);
    await untilStartWindowEnds(waitMs);
    return { changed: status === 'changed', conflict: status === 'conflict', task: parseTask(task) };
  }

  /**
   * After a reconnect: creates a decorated task only when Redis lost it with the namespace's data (its id is no
   * longer among the deployed ones); a task present, or removed at run time, is left alone until the next
   * deploy's `upsertDecorated`. true when it created the task.
   */
  async restoreDeclaredTask(task: ScheduledDefinition): Promise<boolean> {
    const [status] = await this.callSave<[string]>({ ...task, mode: 'createIfAbsent' });
    return status === 'changed';
  }

  /**
   * Deletes a task (definition, state, due and pending entries, history); false if unknown. A run in progress finishes
   * unrecorded.
   */
  async removeTask(id: string): Promise<boolean> {
    const [removed, waitMs] = await this.call<[removed: number, waitMs: number]>(
      'removeTask',
      { id },
      'schedulerRemoveTask',
      [id, this.publishArgument],
    );
    await untilStartWindowEnds(waitMs);
    return removed === 1;
  }

  /**
   * Enables (with the next fire given, computed from now; failureCount reset) or disables the schedule; the
   * state the task already has is left as it is. NOT_FOUND for an unknown id.
   */
  async setEnabled({ id, enabled, nextRunAt, dueScore }: SetEnabledInput): Promise<StoredTask> {
    const operation = enabled ? 'enableTask' : 'disableTask';
    const [, task, waitMs] = await this.call<SaveReply>(operation, { id }, 'schedulerSetEnabled', [
      id,
      enabled ? '1' : '0',
      optionalNumber(nextRunAt),
      optionalNumber(dueScore),
      this.publishArgument,
    ]);
    await untilStartWindowEnds(waitMs);
    return parseTask(task);
  }

  /** One run now, outside the schedule (a pending `manual` entry at Redis now). NOT_FOUND for an unknown id. */
  async trigger(id: string): Promise<void> {
    await this.call<number>('triggerTask', { id }, 'schedulerTrigger', [id, this.publishArgument]);
  }

  /** The task, or null. */
  async getTask(id: string): Promise<StoredTask | null> {
    const [task] = await this.call<TaskReply[]>('getTask', { id }, 'schedulerReadTasks', [id]);
    return task === undefined ? null : parseTask(task);
  }

  /** The tasks of `ids` that exist (none named: none read). */
  async getTasks(ids: readonly string[]): Promise<StoredTask[]> {
    if (ids.length === 0) return [];
    const tasks = await this.call<TaskReply[]>('getTask', { ids }, 'schedulerReadTasks', [...ids]);
    return tasks.map(parseTask);
  }

  /** Every task of the namespace, by id. */
  async listTasks(): Promise<StoredTask[]> {
    const tasks = await this.call<TaskReply[]>('listTasks', {}, 'schedulerReadTasks', []);
    return tasks.map(parseTask).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The runs holding a lease now (`running`, newest first), then the history, newest first; at most `limit`. NOT_FOUND
   * for an unknown id.
   */
  async getRuns(id: string, limit: number): Promise<TaskRun[]> {
    const [running, history] = await this.call<[string[], string[]]>('getRuns', { id, limit }, 'schedulerGetRuns', [
      id,
      limit,
    ]);
    const current = running
      .map(parseRunningRecord)
      .sort((a, b) => (b.startedAt as Date).getTime() - (a.startedAt as Date).getTime());
    return [...current, ...history.map(parseHistoryEntry)].slice(0, limit);
  }

  /**
   * Waits until the start window of the task's latest run has ended: a change found nothing to do (another call
   * made it, and may still be waiting) returns no sooner than one that changed the task.
   */
  async untilStartWindowEnds(task: StoredTask): Promise<void> {
    if (task.startsBy === null) return;
    await untilStartWindowEnds(task.startsBy - (await this.now()));
  }

  /**
   * Redis TIME (ms) of the node holding the namespace: the clock every due decision and next fire uses.
   * `operation` names the public call it is part of, in errors and metrics.
   */
  now(operation = 'now'): Promise<number> {
    return this.call<number>(operation, {}, 'schedulerNow', []);
  }

  /** Workflows announced by the replicas seen (peek heartbeat) within `maxAgeMs`; older heartbeats are deleted. */
  async liveWorkflows(maxAgeMs: number): Promise<Set<string>> {
    const heartbeats = await this.call<string[]>('liveWorkflows', { maxAgeMs }, 'schedulerLiveWorkflows', [maxAgeMs]);
    const workflows = new Set<string>();
    for (const heartbeat of heartbeats) {
      // Lua's cjson writes an empty list as `{}`.
      const announced = (JSON.parse(heartbeat) as { workflows: unknown }).workflows;
      if (Array.isArray(announced)) for (const workflow of announced) workflows.add(String(workflow));
    }
    return workflows;
  }

  /**
   * Heartbeat of this replica (its workflows), reaping of the namespace's expired leases (recorded `lost`, then
   * retried or failed: see `lost`), and the due fires of `workflows` (see `PeekInput`), earliest first; with the
   * count of due pending entries and the earliest future wake-up time.
   */
  async peek({
    workflows,
    limit,
    aheadLimit = limit,
    passOver = [],
    windowAt = 0,
    heartbeatMaxAgeMs = 0,
  }: PeekInput): Promise<PeekResult> {
    for (const workflow of workflows) this.workflows.add(workflow);
    const { instanceId } = this;
    const lostClaims = [...this.lostClaims];
    const [now, candidates, pendingDue, nextWakeAt, lost, givenBack] = await this.call<PeekReply>(
      'peek',
      { instanceId, workflows, limit },
      'schedulerPeek',
      [
        instanceId,
        limit,
        this.historyLength,
        this.publishArgument,
        JSON.stringify(passOver),
        this.lookAheadMs,
        windowAt,
        heartbeatMaxAgeMs,
        JSON.stringify(lostClaims),
        aheadLimit,
        ...workflows,
      ],
    );
    if (lostClaims.length > 0) this.forgetLostClaims(lostClaims);
    return lookResult(
      now,
      candidates,
      pendingDue,
      nextWakeAt,
      lost.map(([taskId, fence, attempt, retryAt, disabled]): LostRun => ({
        taskId,
        fence,
        attempt,
        retryAt: orNull(retryAt),
        disabled: disabled === 1,
      })),
      givenBack,
    );
  }

  /**
   * Claims, atomically: each decided fire if the task still has that next fire and version (missed fires
   * recorded, next fire advanced, overlap applied, a lease taken if it runs), then the due pending entries
   * (retries, buffered, manual) of `workflows`; see `ClaimInput`. A decision with a `dueAt` still ahead, within
   * the store's `lookAheadMs`, is claimed ahead when it runs (see `ClaimedRun.startedAt`).
   */
  async claim({
    workflows,
    maxClaims,
    maxAhead = maxClaims,
    defaultLeaseMs,
    decisions,
    candidates = new Map<string, StoredTask>(),
  }: ClaimInput): Promise<ClaimedRun[]> {
    for (const workflow of workflows) this.workflows.add(workflow);
    const { instanceId } = this;
    const claimId = randomUUID();
    const [now, claimed] = await this.call<ClaimReply>(
      'claim',
      { instanceId, maxClaims, maxAhead, decisions },
      'schedulerClaim',
      [
        instanceId,
        maxClaims,
        defaultLeaseMs,
        this.historyLength,
        JSON.stringify(decisions),
        this.lookAheadMs,
        claimId,
        maxAhead,
        START_WINDOW_MS,
        ...workflows,
      ],
    ).catch((error: unknown) => {
      // It may have run in Redis with its reply lost: the next look gives back the runs it took, if any.
      this.rememberLostClaim(claimId);
      throw error;
    });
    const runs: ClaimedRun[] = [];
    const unknown: number[] = [];
    for (const [taskId, fence, scheduledAt, attempt, startedAt, leaseMs, kind, task] of claimed) {
      const known = task ? parseTask(task) : candidates.get(taskId);
      if (known === undefined) unknown.push(runs.length);
      runs.push({
        taskId,
        fence,
        scheduledAt,
        attempt,
        startedAt,
        claimedAt: now,
        leaseMs,
        kind,
        task: known as StoredTask,
      });
    }
    if (unknown.length > 0) {
      const read = new Map((await this.getTasks(unknown.map((i) => runs[i].taskId))).map((task) => [task.id, task]));
      for (const i of unknown) runs[i].task = read.get(runs[i].taskId) as StoredTask;
    }
    return runs;
  }

  /**
   * Extends a run's lease to now + `leaseMs`: only this replica's, only while it holds. false = the lease is lost.
   */
  async renew({ taskId, fence, leaseMs }: RenewLeaseInput): Promise<boolean> {
    const renewed = await this.call<number>('renewLease', { taskId, fence }, 'schedulerRenewLease', [
      taskId,
      fence,
      this.instanceId,
      leaseMs,
    ]);
    return renewed === 1;
  }

  /**
   * Confirms, from `leadMs` before its start time, the start of a run claimed ahead: it starts only while
   * this replica holds its lease and its task is present, enabled and of the version claimed (a change of the
   * task cancels it anyway). A confirmed run starts in Redis at its start time (now, if that has passed): its
   * lease runs `leaseMs` from then, and a change of its task waits until its start window ends (`START_WINDOW_MS`
   * after it). Asked about a run started already (claimed when due, or confirmed) whose handler could not be called
   * within that window, its lease and its task are checked alike (a changed one is given back) and a new window
   * opens. The confirmations of one tick go in one call.
   */
  confirmStart(run: StartRunInput): Promise<StartRunResult> {
    return this.starts.add(run);
  }

  /**
   * Records a run's end, fenced: refused (accepted false) when the lease is gone, expired (then recorded
   * `lost` and retried or failed, as the reaper would) or another replica's. A failure with attempts left
   * is retried at now + backoffMs * 2^(attempt-1); else failureCount + 1 and the task is disabled at
   * maxConsecutiveFailures (`disabled`). A cancelled run is retried the same way but never counted as a failure.
   */
  finish(run: FinishRunInput): Promise<FinishRunResult> {
    return this.finishes.add(run);
  }

  /**
   * Holds the finishes (at most 100 ms) while the caller claims fires due now: the claims, which decide when
   * handlers start, reach Redis first. `releaseFinishes` sends them.
   */
  holdFinishes(): void {
    this.finishes.hold();
  }

  /** Sends the finishes held by `holdFinishes`, and every later one at once again. */
  releaseFinishes(): void {
    this.finishes.release();
  }

  /** One call for the start confirmations of one replica's runs due in the same tick (see `TickBatcher`). */
  private async startMany(runs: StartRunInput[]): Promise<StartRunResult[]> {
    const args: Array<string | number> = [this.instanceId, runs[0].leadMs, START_WINDOW_MS];
    for (const run of runs) args.push(run.taskId, run.fence, run.leaseMs);
    const inputs = runs.length === 1 ? { taskId: runs[0].taskId, fence: runs[0].fence } : { runs: runs.length };
    const [now, started] = await this.call<StartReply>('startRuns', inputs, 'schedulerStartRuns', args);
    const repliedAt = performance.now();
    return started.map((flag) =>
      flag < 0
        ? { started: false, startedAt: now, notYetMs: -flag, repliedAt }
        : { started: flag === 1, startedAt: now, repliedAt },
    );
  }

  /** One call for the finishes of one replica that ended in the same tick (see `TickBatcher`). */
  private async finishMany(runs: FinishRunInput[]): Promise<FinishRunResult[]> {
    const args: Array<string | number> = [this.instanceId, this.historyLength, this.publishArgument];
    for (const run of runs) args.push(run.taskId, run.fence, run.status, run.error ?? '', run.errorStack ?? '');
    const inputs =
      runs.length === 1
        ? { taskId: runs[0].taskId, fence: runs[0].fence, status: runs[0].status }
        : { runs: runs.length };
    const replies = await this.call<Array<[number, number, number]>>('finishRun', inputs, 'schedulerFinishRun', args);
    return replies.map(([accepted, disabled, retryAt]) => ({
      accepted: accepted === 1,
      disabled: disabled === 1,
      retryAt: orNull(retryAt),
    }));
  }

  private rememberLostClaim(claimId: string): void {
    this.lostClaims = [...this.lostClaims, claimId].slice(-MAX_LOST_CLAIMS);
  }

  private forgetLostClaims(givenBack: string[]): void {
    this.lostClaims = this.lostClaims.filter((id) => !givenBack.includes(id));
  }

  private callSave<T>({
    definition: def,
    nextRunAt,
    dueScore,
    mode,
    expectedVersion,
    operation = SAVE_OPERATIONS[mode],
  }: Omit<SaveTaskInput, 'mode'> & { mode: SaveTaskMode }): Promise<T> {
    this.workflows.add(def.workflow);
    return this.call<T>(operation, { id: def.id, mode, expectedVersion }, 'schedulerSaveTask', [
      def.id,
      mode,
      serializeDefinition(def),
      def.enabled ? '1' : '0',
      optionalNumber(nextRunAt),
      optionalNumber(dueScore),
      expectedVersion === undefined ? '' : String(expectedVersion),
      def.workflow,
      def.overlap,
      def.retry.attempts,
      def.retry.backoffMs,
      def.maxConsecutiveFailures,
      def.leaseMs ?? 0,
      this.publishArgument,
    ]);
  }

  /**
   * One script call through the pipeline, its refusals mapped to `StatefulError`s. A refusal for undeclared
   * workflows is sent again with them; one during a slot migration is sent again with backoff, for a while.
   */
  private call<T>(
    operation: string,
    inputs: OperationInputs,
    script: SchedulerScriptName,
    args: Array<string | number>,
  ): Promise<T> {
    return this.send(operation, inputs, () =>
      this.runScript(operation, script, args).then(
        (reply) => reply as T,
        (error: unknown) => {
          throw toStoreError(error, operation, this.namespace);
        },
      ),
    );
  }

  private async runScript(operation: string, script: SchedulerScriptName, args: Array<string | number>) {
    const giveUpAt = performance.now() + this.reshardingRetryMs;
    let delay = RESHARDING_FIRST_DELAY_MS;
    for (let undeclaredRetries = 0; ;) {
      try {
        return await this.scripts.run(script, schedulerKeys(this.base, this.workflows), args);
      } catch (error) {
        const undeclared = UNDECLARED_WORKFLOWS.exec((error as Error | undefined)?.message ?? '');
        if (undeclared !== null && undeclaredRetries < MAX_UNDECLARED_RETRIES) {
          undeclaredRetries++;
          for (const workflow of JSON.parse(undeclared[1]) as string[]) this.workflows.add(workflow);
          continue;
        }
        if (classifyRedisError(error) !== ErrorCode.CLUSTER_RESHARDING || performance.now() + delay > giveUpAt)
          throw error;
        this.onReshardingRetry?.(operation);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RESHARDING_MAX_DELAY_MS);
      }
    }
  }
}
