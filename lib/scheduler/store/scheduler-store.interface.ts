import type { StoredTask, StoredTaskDefinition } from './stored-task.interface';
import type { ScheduledRunKind } from '../interfaces/scheduled-run-context.interface';

/**
 * How `SchedulerStore.saveTask` treats an existing id: `create` refuses it, `update` requires it, `upsertDecorated`
 * replaces a changed definition (keeping `enabled`); `createIfAbsent` (`restoreDeclaredTask`) creates a decorated
 * task only when Redis lost it.
 */
export type SaveTaskMode = 'create' | 'upsertDecorated' | 'update' | 'createIfAbsent';

/**
 * The command the scripts tell replicas of a change with: `PUBLISH`, `SPUBLISH` (cluster), or none (the caller
 * publishes).
 */
export type ChangePublishCommand = 'PUBLISH' | 'SPUBLISH' | 'none';

/** A definition with its next fire, as `saveTask` and `restoreDeclaredTask` write it. */
export interface ScheduledDefinition {
  definition: StoredTaskDefinition;
  /** Its next fire, `null` for none. */
  nextRunAt: number | null;
  /** The due score of `nextRunAt` (its time plus jitter), `null` for none. */
  dueScore: number | null;
}

/** A definition to write, for `saveTask`. */
export interface SaveTaskInput extends ScheduledDefinition {
  mode: Exclude<SaveTaskMode, 'createIfAbsent'>;
  /** For `update`: the version the change was made on; another stored version is a conflict. */
  expectedVersion?: number;
  /** The public call named in errors and metrics (default: the mode's, e.g. `addTask` for `create`). */
  operation?: string;
}

/** A task's schedule switched on or off, for `setEnabled`. */
export interface SetEnabledInput {
  id: string;
  enabled: boolean;
  /** The next fire of an enabled task, computed from now (`null` when disabling). */
  nextRunAt: number | null;
  /** The due score of `nextRunAt`. */
  dueScore: number | null;
}

/** What `saveTask` did. */
export interface SaveTaskResult {
  /** Whether anything was written (false: an unchanged decorated definition, or a version conflict). */
  changed: boolean;
  /** `update` with an `expectedVersion` that is no longer the stored one: nothing written; `task` is the stored one. */
  conflict: boolean;
  task: StoredTask;
}

/** One look of the replica, for `peek`. */
export interface PeekInput {
  /** The workflows this replica runs: only their due fires are returned. */
  workflows: string[];
  /** At most this many fires due now, earliest first. */
  limit: number;
  /** At most this many fires due within the store's `lookAheadMs` (default `limit`). */
  aheadLimit?: number;
  /** Tasks whose due fires this replica cannot decide on: left out, not counted toward `limit`. */
  passOver?: readonly string[];
  /**
   * In [0, 1): when more are due than `limit`, places the window of them returned, so that replicas looking at
   * the same moment ask for different fires (default 0).
   */
  windowAt?: number;
  /** > 0: also deletes the heartbeats of replicas silent for longer (stopped or crashed); default 0. */
  heartbeatMaxAgeMs?: number;
}

/** One claim of the replica, for `claim`. */
export interface ClaimInput {
  /** The workflows this replica runs: their due pending entries are claimed too. */
  workflows: string[];
  /** At most this many runs start now. */
  maxClaims: number;
  /** At most this many fires are claimed ahead (default `maxClaims`). */
  maxAhead?: number;
  /** The lease of a run whose task sets none. */
  defaultLeaseMs: number;
  /** The fires decided on from `peek`'s candidates. */
  decisions: ClaimDecision[];
  /** `peek`'s candidates by task id: a scheduled run's task (the claim checked its version); without it, it is read. */
  candidates?: ReadonlyMap<string, StoredTask>;
}

/** A run's lease to extend, for `renew`. */
export interface RenewLeaseInput {
  taskId: string;
  fence: number;
  /** The lease runs this long from now. */
  leaseMs: number;
}

/** What `claim` should do with one due fire, decided by the runtime from `peek`'s candidate and the cron schedule. */
export interface ClaimDecision {
  taskId: string;
  /** The candidate's `fireTime`: the claim is refused unless it is still the task's `nextRunAt`. */
  expectedFireTime: number;
  /** The candidate's version: the claim is refused if the definition changed since. */
  version: number;
  /** The fire to run (its `scheduledAt`), `null` when every missed fire is skipped. */
  runAt: number | null;
  /** Fire times to record `missed` (at most historyLength). */
  missed: number[];
  nextRunAt: number | null;
  nextDueScore: number | null;
  /** The due score of `runAt` (its time plus jitter), on time: lets `claim` take it ahead; absent: only once due. */
  dueAt?: number;
}

/** Where a claimed run comes from: a scheduled fire, or a pending entry. */
export type ClaimedRunKind = ScheduledRunKind;

/** A run `claim` started: its lease is held until `startedAt + leaseMs` unless renewed. */
export interface ClaimedRun {
  taskId: string;
  /** Fencing token: strictly increasing per task across attempts and fires. */
  fence: number;
  scheduledAt: number;
  attempt: number;
  /** Redis time the run starts: the claim's, or the due time of a fire claimed ahead (later than `claimedAt`). */
  startedAt: number;
  /** Redis time of the claim. */
  claimedAt: number;
  leaseMs: number;
  kind: ClaimedRunKind;
  task: StoredTask;
}

/** A due fire found by `peek`. */
export interface DueCandidate {
  /**
   * Its definition, and of its state only what a decision needs (nextRunAt, enabled, version): the rest is not read.
   */
  task: StoredTask;
  /** The task's `nextRunAt` (its due score adds the jitter). */
  fireTime: number;
}

/** A run whose lease expired, found by the reaper of `peek`. */
export interface LostRun {
  taskId: string;
  fence: number;
  attempt: number;
  /** When its retry is due (at once), `null` when no attempt remains. */
  retryAt: number | null;
  /** Whether this failure disabled the task (maxConsecutiveFailures reached). */
  disabled: boolean;
}

/** What `peek` saw. */
export interface PeekResult {
  /** Redis time (ms). */
  now: number;
  candidates: DueCandidate[];
  /** Pending entries (retries, buffered, manual) of the workflows due now: worth a `claim` even without candidates. */
  pendingDue: number;
  /**
   * Earliest future due or pending score of the workflows, or lease expiry of the namespace; `now` when more is due
   * than returned.
   */
  nextWakeAt: number | null;
  /** Runs of the namespace reaped now (their leases expired). */
  lost: LostRun[];
  /** Runs of this replica's claims whose replies were lost, given back now (no handler had started for them). */
  givenBack: number;
}

/** A run claimed ahead whose start time came, for `confirmStart`. */
export interface StartRunInput {
  taskId: string;
  fence: number;
  /** Its lease from its start on. */
  leaseMs: number;
  /** How long before its start time (ms of Redis time) a run claimed ahead may be confirmed. */
  leadMs: number;
}

/** What `confirmStart` found. */
export interface StartRunResult {
  /** false: its lease is gone or expired, or its task was removed, disabled or changed: the handler must not start. */
  started: boolean;
  /** Asked before its start time on Redis's clock (this replica's clock runs fast): ask again in this many ms. */
  notYetMs?: number;
  /** Redis time of the confirmation (the run's recorded start is its start time, or this if that had passed). */
  startedAt: number;
  /** `performance.now()` when the reply was taken in: the same for every run of one call. */
  repliedAt: number;
}

/**
 * How a run ended, for `finish`. `unstarted`: its handler was never called (Redis unreachable at the start of a
 * run claimed ahead, or the replica stopping first): no attempt is used, the same attempt is due again.
 */
export type FinishStatus = 'success' | 'failed' | 'cancelled' | 'unstarted';

/** The end of one run, for `finish`. */
export interface FinishRunInput {
  taskId: string;
  fence: number;
  status: FinishStatus;
  /** The thrown error's message, for `failed` and `cancelled`. */
  error?: string;
  /** The thrown error's stack frames, for `failed`, when it had any. */
  errorStack?: string;
}

/** What `finish` did. */
export interface FinishRunResult {
  /** false: the lease was gone, expired (then recorded `lost`) or another replica's. */
  accepted: boolean;
  /** Whether this finish disabled the task (maxConsecutiveFailures reached): log a warning. */
  disabled: boolean;
  /** When the retry is due, `null` when none. */
  retryAt: number | null;
}
