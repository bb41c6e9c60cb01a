import { Injectable, Logger } from '@nestjs/common';
import {
  DistributedSchedulerService,
  ScheduledWorkflow,
  type ScheduledRunContext,
  StatefulExecutorService,
} from 'nestjs-stateful-redis';
import type { DrainPodPayload } from './drain-pod.payload';

/** The state that keeps new users away from a pod while its current users stay (see the routing walk-through). */
const DRAINING_STATE = 'draining';

/**
 * Workflow of the tasks added at run time through `POST /scheduler/tasks`: drain a pod at a given time, e.g.
 * `{ cron: '0 3 * * *', timeZone: 'Europe/Berlin', workflow: 'drain-pod', payload: { namespace: 'prod',
 * service: 'game', podId: 4, once: true } }` before a maintenance window.
 */
@Injectable()
export class DrainPodWorkflow {
  private readonly logger = new Logger('DrainPod');

  constructor(
    private readonly directory: StatefulExecutorService,
    private readonly scheduler: DistributedSchedulerService,
  ) {}

  @ScheduledWorkflow('drain-pod')
  async drainPod(run: ScheduledRunContext<DrainPodPayload>): Promise<void> {
    const { namespace, service, podId, once } = run.payload;
    // Setting a state is idempotent: a retry, or a second run of the same fire after a crash, is harmless. Written
    // on the pod's behalf, not a report of it: a silent pod stays silent and keeps its sweep notice for itself.
    await this.directory.setServiceState(namespace, service, podId, DRAINING_STATE, { asPodReport: false });
    this.logger.log(
      `drained ${namespace}/${service} pod ${podId} (task ${run.taskId}, fire ${run.scheduledAt.toISOString()}, on ${run.instanceId})`,
    );
    // Disabling (not removing) keeps the task and its run history for the operators to look at.
    if (once) await this.scheduler.disableTask(run.taskId);
  }
}
