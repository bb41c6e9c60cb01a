/** What became of one fire or attempt of a task (the seed's statuses, extended). */
export type TaskStatus =
  'pending' | 'running' | 'success' | 'failed' | 'cancelled' | 'retry' | 'skipped' | 'missed' | 'lost';

/**
 * A fire due while the previous run of the task still runs: record it `skipped`, run it after (at most one waiting), or
 * run it anyway.
 */
export type OverlapPolicy = 'skip' | 'bufferOne' | 'allow';

/** Fires missed while no replica could run them: one late run then on from now, or each recorded `missed`. */
export type MisfirePolicy = 'runOnce' | 'skip';

/** Where a task was declared: `@DistributedCron` in code, or `addTask` at run time. */
export type TaskSource = 'decorator' | 'api';

export interface RetryPolicy {
  /** Every try counts, the first included (1 = no retry). */
  attempts: number;
  /** Wait before the second try; doubled before each next one. */
  backoffMs: number;
}

/** Per-task options shared by `@DistributedCron` and `addTask`; every one but `name` has a default. */
export interface ScheduledTaskOptions {
  /** 1–512 characters, no `{`, `}` or control characters. */
  name: string;
  /** IANA time zone the cron expression is read in; default `UTC`. */
  timeZone?: string;
  /**
   * Default `true`. With `@DistributedCron` only the initial state: a deploy never re-enables a task disabled at run
   * time (`disableTask`, or after `maxConsecutiveFailures`).
   */
  enabled?: boolean;
  /** Default `'skip'`. */
  overlap?: OverlapPolicy;
  /** Default `'runOnce'`. */
  misfire?: MisfirePolicy;
  /** A fire starting more than this after its time is a misfire; default 60000. */
  misfireGraceMs?: number;
  /** Default `{ attempts: 3, backoffMs: 1000 }`; a partial object keeps the other default. */
  retry?: Partial<RetryPolicy>;
  /** Failed fires in a row (retries exhausted) that disable the task; default 3. */
  maxConsecutiveFailures?: number;
  /** Each fire starts at a deterministic delay in `[0, jitterMs)`; default 0. */
  jitterMs?: number;
  /** The lease of this task's runs; default: the module's `leaseMs`. */
  leaseMs?: number;
}

/** The input of `DistributedSchedulerService.addTask`. */
export interface AddTaskInput<P = unknown> extends ScheduledTaskOptions {
  /** Generated (a UUID) when absent; same rules as `name`. */
  id?: string;
  /** 5 fields, or 6 with seconds first. */
  cron: string;
  /** A workflow registered by this process or announced by a live replica of the namespace. */
  workflow: string;
  /**
   * JSON (plain objects, arrays, strings, finite numbers, booleans, null), at most 64 KiB and 32 levels deep; default
   * `null`.
   */
  payload?: P;
}

/** The input of `DistributedSchedulerService.upsertTask`: `addTask`'s, its `id` required (the same at every boot). */
export type UpsertTaskInput<P = unknown> = AddTaskInput<P> & { id: string };

/**
 * The input of `DistributedSchedulerService.updateTask`: the options to change (`leaseMs: null`: the module's again).
 */
export type UpdateTaskPatch<P = unknown> = Partial<Omit<AddTaskInput<P>, 'id' | 'leaseMs'>> & {
  leaseMs?: number | null;
};

/** The options of `DistributedSchedulerService.listTasks`. */
export interface ListTasksOptions {
  /** Only the tasks whose schedule is enabled. */
  enabledOnly?: boolean;
}

/** A task's definition, policies resolved: what `addTask` or a decorator declares. */
export interface ScheduledTaskDefinition<P = unknown> {
  id: string;
  name: string;
  cron: string;
  timeZone: string;
  workflow: string;
  payload: P;
  enabled: boolean;
  source: TaskSource;
  overlap: OverlapPolicy;
  misfire: MisfirePolicy;
  misfireGraceMs: number;
  retry: RetryPolicy;
  maxConsecutiveFailures: number;
  jitterMs: number;
  /** `null`: the module's `leaseMs`. */
  leaseMs: number | null;
}

/** A scheduled task: its definition, policies resolved, and its state. */
export interface ScheduledTask<P = unknown> extends ScheduledTaskDefinition<P> {
  /** +1 on every change of the definition. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** The next fire time; `null` when disabled (or when the expression has no next fire). */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastStatus: TaskStatus | null;
  runCount: number;
  /** Failed fires in a row (retries exhausted); a success resets it. */
  failureCount: number;
}

/** One entry of a task's run history: an attempt, or a fire recorded `skipped` or `missed`. */
export interface TaskRun {
  taskId: string;
  /** The fire time this entry is about. */
  scheduledAt: Date;
  /** `null` for a fire that never started (`skipped`, `missed`). */
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  status: TaskStatus;
  /** 1 for the first try of a fire. */
  attempt: number;
  /** The replica that ran it; `null` for a fire that never started. */
  instanceId: string | null;
  /** The thrown error's message, for `failed`, `retry` and `lost`. */
  error: string | null;
  /**
   * The thrown error's stack, for `failed` and `retry`: its frames (the message is `error`), scrubbed of
   * credentials and capped; `null` when what was thrown had none (a string, `null`, ...).
   */
  errorStack: string | null;
}
