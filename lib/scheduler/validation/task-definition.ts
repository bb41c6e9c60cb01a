import type { StoredTaskDefinition } from '../store/stored-task.interface';

/** A task's definition once validated and its defaults applied: what the store keeps (it adds version and times). */
export type TaskDefinition = StoredTaskDefinition;

/** The per-task defaults of SCHEDULER.md. */
export const TASK_DEFAULTS = {
  timeZone: 'UTC',
  enabled: true,
  overlap: 'skip',
  misfire: 'runOnce',
  misfireGraceMs: 60_000,
  retry: { attempts: 3, backoffMs: 1_000 },
  maxConsecutiveFailures: 3,
  jitterMs: 0,
} as const satisfies Partial<TaskDefinition>;

/** The definition fields a patch (`updateTask`) may change. */
export const PATCHABLE_FIELDS = [
  'name',
  'cron',
  'timeZone',
  'workflow',
  'payload',
  'enabled',
  'overlap',
  'misfire',
  'misfireGraceMs',
  'retry',
  'maxConsecutiveFailures',
  'jitterMs',
  'leaseMs',
] as const;
