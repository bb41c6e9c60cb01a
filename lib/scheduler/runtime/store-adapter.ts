import type { ScheduledTask } from '../interfaces/scheduled-task.interface';
import type { StoredTask } from '../store/stored-task.interface';
import type { TaskDefinition } from '../validation/task-definition';

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** The public view of a stored task: its definition, policies and state, times as `Date`s. */
export function toScheduledTask<P = unknown>(task: StoredTask): ScheduledTask<P> {
  return {
    id: task.id,
    name: task.name,
    cron: task.cron,
    timeZone: task.timeZone,
    workflow: task.workflow,
    payload: task.payload as P,
    enabled: task.enabled,
    source: task.source,
    overlap: task.overlap,
    misfire: task.misfire,
    misfireGraceMs: task.misfireGraceMs,
    retry: { attempts: task.retry.attempts, backoffMs: task.retry.backoffMs },
    maxConsecutiveFailures: task.maxConsecutiveFailures,
    jitterMs: task.jitterMs,
    leaseMs: task.leaseMs,
    version: task.version,
    createdAt: new Date(task.createdAt),
    updatedAt: new Date(task.updatedAt),
    nextRunAt: dateOrNull(task.nextRunAt),
    lastRunAt: dateOrNull(task.lastRunAt),
    lastStatus: task.lastStatus,
    runCount: task.runCount,
    failureCount: task.failureCount,
  };
}

/** The definition part of a stored task, as a patch is applied to. */
export function definitionOf(task: StoredTask): TaskDefinition {
  const { id, name, cron, timeZone, workflow, payload, enabled, source, overlap, misfire, misfireGraceMs } = task;
  const { retry, maxConsecutiveFailures, jitterMs, leaseMs } = task;
  return {
    id,
    name,
    cron,
    timeZone,
    workflow,
    payload,
    enabled,
    source,
    overlap,
    misfire,
    misfireGraceMs,
    retry: { ...retry },
    maxConsecutiveFailures,
    jitterMs,
    leaseMs,
  };
}
