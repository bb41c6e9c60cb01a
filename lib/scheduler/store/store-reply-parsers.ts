import type { TaskRun, TaskStatus } from '../interfaces/scheduled-task.interface';
import type { StoredTask, StoredTaskDefinition } from './stored-task.interface';

/** A task as the scripts reply it (lua/scheduler/includes/readTask): id, definition JSON, state field/value list. */
export type TaskReply = [id: string, definition: string, state: string[]];

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

function numberOrNull(value: string | undefined): number | null {
  return value === undefined || value === '' ? null : Number(value);
}

/** A stored task from its reply. */
export function parseTask([, definition, stateList]: TaskReply): StoredTask {
  const state = new Map<string, string>();
  for (let i = 0; i + 1 < stateList.length; i += 2) state.set(stateList[i], stateList[i + 1]);
  const declared = JSON.parse(definition) as Omit<StoredTaskDefinition, 'enabled'>;
  return {
    ...declared,
    enabled: state.get('enabled') === '1',
    version: Number(state.get('version') ?? 0),
    createdAt: Number(state.get('createdAt') ?? 0),
    updatedAt: Number(state.get('updatedAt') ?? 0),
    nextRunAt: numberOrNull(state.get('nextRunAt')),
    lastRunAt: numberOrNull(state.get('lastRunAt')),
    lastStatus: (state.get('lastStatus') as TaskStatus | undefined) ?? null,
    runCount: Number(state.get('runCount') ?? 0),
    failureCount: Number(state.get('failureCount') ?? 0),
    lastFireAt: numberOrNull(state.get('lastFireAt')),
    running: Number(state.get('running') ?? 0),
    buffered: numberOrNull(state.get('buffered')),
    fence: Number(state.get('fence') ?? 0),
  };
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
  };
}
