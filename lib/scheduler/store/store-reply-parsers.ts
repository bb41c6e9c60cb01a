import type { TaskRun, TaskStatus } from '../interfaces/scheduled-task.interface';
import type { StoredTask, StoredTaskDefinition } from './stored-task.interface';

/** A task as the scripts reply it (lua/scheduler/includes/readTask): id, definition JSON, state JSON. */
export type TaskReply = [id: string, definition: string, state: string];

/** The state JSON's fields the replicas read (lua/scheduler/includes/taskState; fence is a string: 16 digits). */
interface StoredState {
  enabled?: boolean;
  startsBy?: number;
  version?: number;
  createdAt?: number;
  updatedAt?: number;
  nextRunAt?: number;
  lastRunAt?: number;
  lastStatus?: TaskStatus;
  runCount?: number;
  failureCount?: number;
  lastFireAt?: number;
  running?: number;
  buffered?: number;
  fence?: string;
}

/** The definition as `B:tasks` holds it: every declared field but `enabled` (the state holds it), in a fixed order. */
export function serializeDefinition(def: StoredTaskDefinition): string {
  // A fixed field order, so that an unchanged decorated definition serializes to the same text.
  return JSON.stringify({
    id: def.id,
    name: def.name,
    cron: def.cron,
    timeZone: def.timeZone,
    workflow: def.workflow,
    payload: def.payload ?? null,
    source: def.source,
    overlap: def.overlap,
    misfire: def.misfire,
    misfireGraceMs: def.misfireGraceMs,
    retry: { attempts: def.retry.attempts, backoffMs: def.retry.backoffMs },
    maxConsecutiveFailures: def.maxConsecutiveFailures,
    jitterMs: def.jitterMs,
    leaseMs: def.leaseMs,
  });
}

function numberOrNull(value: number | undefined): number | null {
  return value === undefined ? null : value;
}

/** A stored task from its reply. */
export function parseTask([, definition, stateJson]: TaskReply): StoredTask {
  const state = JSON.parse(stateJson) as StoredState;
  const task = JSON.parse(definition) as StoredTask;
  task.enabled = state.enabled === true;
  task.version = state.version ?? 0;
  task.createdAt = state.createdAt ?? 0;
  task.updatedAt = state.updatedAt ?? 0;
  task.nextRunAt = numberOrNull(state.nextRunAt);
  task.lastRunAt = numberOrNull(state.lastRunAt);
  task.lastStatus = state.lastStatus ?? null;
  task.runCount = state.runCount ?? 0;
  task.failureCount = state.failureCount ?? 0;
  task.lastFireAt = numberOrNull(state.lastFireAt);
  task.running = state.running ?? 0;
  task.buffered = numberOrNull(state.buffered);
  task.fence = Number(state.fence ?? 0);
  task.startsBy = numberOrNull(state.startsBy);
  return task;
}

function dateOrNull(value: number | null | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(value);
}

/** A history entry (lua/scheduler/includes/pushHistory) as a `TaskRun`. */
export function parseHistoryEntry(json: string): TaskRun {
  const entry = JSON.parse(json) as Omit<TaskRun, 'scheduledAt' | 'startedAt' | 'finishedAt'> & {
    scheduledAt: number;
    startedAt: number | null;
    finishedAt: number | null;
  };
  return {
    taskId: entry.taskId,
    scheduledAt: new Date(entry.scheduledAt),
    startedAt: dateOrNull(entry.startedAt),
    finishedAt: dateOrNull(entry.finishedAt),
    durationMs: entry.durationMs ?? null,
    status: entry.status,
    attempt: entry.attempt,
    instanceId: entry.instanceId ?? null,
    error: entry.error ?? null,
    errorStack: entry.errorStack ?? null,
  };
}

/** A run holding a lease (its `B:runs` record, lua/scheduler/includes/startRun) as a `running` TaskRun. */
export function parseRunningRecord(json: string): TaskRun {
  const run = JSON.parse(json) as {
    taskId: string;
    scheduledAt: number;
    startedAt: number;
    attempt: number;
    instanceId: string;
  };
  return {
    taskId: run.taskId,
    scheduledAt: new Date(run.scheduledAt),
    startedAt: new Date(run.startedAt),
    finishedAt: null,
    durationMs: null,
    status: 'running',
    attempt: run.attempt,
    instanceId: run.instanceId,
    error: null,
    errorStack: null,
  };
}
