import { SetMetadata } from '@nestjs/common';
import { SCHEDULED_WORKFLOW_METADATA, ScheduledWorkflowMetadata } from './schedule-metadata';

/**
 * Registers the method as the workflow `name`, which tasks added at run time (`addTask({ workflow: name })`)
 * run; it is called with a `ScheduledRunContext` carrying the task's payload.
 */
export function ScheduledWorkflow(name: string): MethodDecorator {
  return SetMetadata<symbol, ScheduledWorkflowMetadata>(SCHEDULED_WORKFLOW_METADATA, { name });
}
