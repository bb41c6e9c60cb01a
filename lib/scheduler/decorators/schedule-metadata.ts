import type { ScheduledTaskOptions } from '../interfaces/scheduled-task.interface';

/** Metadata key of `@DistributedCron` on a method. */
export const DISTRIBUTED_CRON_METADATA = Symbol('nestjs-stateful-redis:distributed-cron');
/** Metadata key of `@ScheduledWorkflow` on a method. */
export const SCHEDULED_WORKFLOW_METADATA = Symbol('nestjs-stateful-redis:scheduled-workflow');

/**
 * The options of `@DistributedCron`: the per-task options; `name` (required) is the task's id and its workflow's name.
 */
export type DistributedCronOptions = ScheduledTaskOptions;

/** What `@DistributedCron` stores on its method. */
export interface DistributedCronMetadata {
  cron: string;
  options: DistributedCronOptions;
}

/** What `@ScheduledWorkflow` stores on its method. */
export interface ScheduledWorkflowMetadata {
  name: string;
}
