import type { ScriptSet } from '../../core/scripts/script-runner';

/** The scheduler's scripts, one file each in `lua/scheduler/`. */
export const SCHEDULER_SCRIPT_NAMES = [
  'schedulerSaveTask',
  'schedulerRemoveTask',
  'schedulerSetEnabled',
  'schedulerTrigger',
  'schedulerReadTasks',
  'schedulerGetRuns',
  'schedulerLiveWorkflows',
  'schedulerNow',
  'schedulerPeek',
  'schedulerClaim',
  'schedulerStartRuns',
  'schedulerRenewLease',
  'schedulerFinishRun',
] as const;

export type SchedulerScriptName = (typeof SCHEDULER_SCRIPT_NAMES)[number];

/** The scheduler feature's script set: each name → `scheduler/<name>` under `lua/`. */
export const SCHEDULER_SCRIPTS = Object.fromEntries(
  SCHEDULER_SCRIPT_NAMES.map((name) => [name, `scheduler/${name}`]),
) as ScriptSet<SchedulerScriptName>;
