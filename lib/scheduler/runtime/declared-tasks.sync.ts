import { Inject, Injectable } from '@nestjs/common';
import type { StatefulRedisCore } from '../../core/stateful-redis-core';
import { CronSchedule } from '../cron/cron-schedule';
import { SchedulerStore } from '../store/scheduler-store';
import type { TaskDefinition } from '../validation/task-definition';
import { dueScoreOf } from './claim-decisions';
import { SCHEDULER_CORE } from '../scheduler.constants';
import { WorkflowRegistry } from './workflow-registry';

/** The first fire of a declared task after Redis's `now`, or null when its expression has none. */
function firstFireAfter(definition: TaskDefinition, now: number): number | null {
  return CronSchedule.parse(definition.cron, definition.timeZone).nextAfter(now);
}

/**
 * Keeps the `@DistributedCron` tasks in Redis: upserted once per start (a deploy's definitions replace the old
 * ones), and created again after a reconnect to a Redis that lost them (it restarted empty, without persistence).
 */
@Injectable()
export class DeclaredTasksSync {
  /** Whether the declared tasks were upserted since this replica started. */
  private saved = false;
  /** Set on every reconnect after the upsert: the declared tasks Redis lost are created again. */
  private recheck = false;

  constructor(
    @Inject(SCHEDULER_CORE) core: StatefulRedisCore,
    private readonly store: SchedulerStore,
    private readonly registry: WorkflowRegistry,
  ) {
    core.connection.onReadyAgain(() => {
      if (this.saved) this.recheck = true;
    });
  }

  /** Before each look: upserts the declared tasks until that succeeded once, then restores them after a reconnect. */
  async sync(): Promise<void> {
    if (!this.saved) await this.save();
    else if (this.recheck) await this.restore();
  }

  /**
   * Upserts the `@DistributedCron` tasks (a deploy): an unchanged definition keeps its next fire, and so does a
   * changed one whose cron and time zone are unchanged (its due score follows the new jitter); a new cron or time
   * zone takes the first fire after Redis's now. The decorator's `enabled` is the initial state only (the store
   * keeps an existing task's).
   */
  async save(): Promise<void> {
    const declared = this.registry.declaredTasks();
    if (declared.length > 0) {
      const now = await this.store.now('upsertDecorated');
      const stored = new Map(
        (await this.store.getTasks(declared.map((definition) => definition.id))).map((task) => [task.id, task]),
      );
      for (const definition of declared) {
        const current = stored.get(definition.id);
        const keep =
          current !== undefined &&
          current.cron === definition.cron &&
          current.timeZone === definition.timeZone &&
          current.nextRunAt !== null;
        const nextRunAt = keep ? current.nextRunAt : firstFireAfter(definition, now);
        await this.store.saveTask({
          definition,
          nextRunAt,
          dueScore: dueScoreOf(definition.id, nextRunAt, definition.jitterMs),
          mode: 'upsertDecorated',
        });
      }
    }
    this.saved = true;
  }

  /**
   * After a reconnect, creates the declared tasks Redis lost with the namespace's data (a restart without
   * persistence). Those it has are left as they are: not upserted again, so that a replica of an older version
   * reconnecting during a rolling deploy does not put its definitions back over the newer ones; and those removed
   * at run time stay removed until the next deploy.
   */
  private async restore(): Promise<void> {
    this.recheck = false;
    try {
      const declared = this.registry.declaredTasks();
      if (declared.length === 0) return;
      const now = await this.store.now('restoreDecorated');
      for (const definition of declared) {
        const nextRunAt = firstFireAfter(definition, now);
        await this.store.restoreDeclaredTask({
          definition,
          nextRunAt,
          dueScore: dueScoreOf(definition.id, nextRunAt, definition.jitterMs),
        });
      }
    } catch (error) {
      this.recheck = true;
      throw error;
    }
  }
}
