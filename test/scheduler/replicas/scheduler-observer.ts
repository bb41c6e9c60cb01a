import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DistributedScheduleModule,
  DistributedSchedulerService,
  ScheduledTask,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
  TaskRun,
} from '../../../lib';
import { silentLogger } from '../../harness/capturing-logger';

/**
 * The test's own view of a namespace through the public API: a scheduler in the test process that
 * registers no workflow, so it claims nothing (SCHEDULER.md: a replica only claims its workflows' runs).
 */
export class SchedulerObserver {
  private constructor(
    private readonly app: INestApplicationContext,
    readonly service: DistributedSchedulerService,
  ) {}

  static async start(connection: StatefulRedisModuleOptions, namespace: string): Promise<SchedulerObserver> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StatefulRedisModule.forRoot({ ...connection, metrics: false }),
        DistributedScheduleModule.forRoot({ namespace, instanceId: 'observer', historyLength: HISTORY_LENGTH }),
      ],
    })
      .setLogger(silentLogger)
      .compile();
    const app = await moduleRef.init();
    return new SchedulerObserver(app, app.get(DistributedSchedulerService));
  }

  /** The task's whole history (the replicas keep `HISTORY_LENGTH` entries), oldest first. */
  async runs(taskId: string): Promise<TaskRun[]> {
    return (await this.service.getRuns(taskId, HISTORY_LENGTH)).reverse();
  }

  async task(taskId: string): Promise<ScheduledTask> {
    const task = await this.service.getTask(taskId);
    if (!task) throw new Error(`task ${taskId} is not defined`);
    return task;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/** History kept per task by every replica of these tests: enough for a whole test, nothing trimmed. */
export const HISTORY_LENGTH = 200;
