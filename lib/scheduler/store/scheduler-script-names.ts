import type { ScriptSet } from '../../core/scripts/script-runner';
import { SCHEDULER_LUA } from './scheduler-scripts.generated';

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

/**
 * The scheduler feature's script set, built from `lua/scheduler/`: each takes the namespace's nine keys, then the due
 * and pending keys of each workflow (`KEYS[1..9+2n]`).
 */
export const SCHEDULER_SCRIPTS = SCHEDULER_LUA satisfies ScriptSet<SchedulerScriptName>;
