import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../core/errors/error-code';
import { StatefulError } from '../core/errors/stateful.error';
import { assertKnownOptions } from '../core/options/known-options';
import { invalidParameter } from '../core/errors/invalid-parameter';
import { CronSchedule } from './cron/cron-schedule';
import type { ResolvedDistributedScheduleOptions } from './interfaces/distributed-schedule-module-options.interface';
import type { ScheduledHandler } from './interfaces/scheduled-run-context.interface';
import type {
  AddTaskInput,
  ListTasksOptions,
  ScheduledTask,
  TaskRun,
  UpdateTaskPatch,
  UpsertTaskInput,
} from './interfaces/scheduled-task.interface';
import type { SchedulerStats } from './interfaces/scheduler-stats.interface';
import { SCHEDULER_LIMITS } from './options/scheduler-limits';
import { dueScoreOf } from './runtime/claim-decisions';
import { RunExecutor } from './runtime/run.executor';
import { SchedulerLoop } from './runtime/scheduler-loop';
import { definitionOf, toScheduledTask } from './runtime/store-adapter';
import { WorkflowRegistry } from './runtime/workflow-registry';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS } from './scheduler.constants';
import { SchedulerStore } from './store/scheduler-store';
import { serializeDefinition } from './store/store-reply-parsers';
import type { SaveTaskResult } from './store/scheduler-store.interface';
import type { StoredTask } from './store/stored-task.interface';
import type { TaskDefinition } from './validation/task-definition';
import { assertTaskName, validateNewTask, validatePatch } from './validation/task-input.validator';
import { liveReplicaMaxAgeMs } from './options/live-replica-max-age';

/** An update that keeps meeting a concurrent one is tried this many times. */
const UPDATE_ATTEMPTS = 5;

interface Schedule {
  nextRunAt: number | null;
  dueScore: number | null;
}

/**
 * The scheduler at run time: tasks of registered workflows added, changed, enabled, disabled, triggered and
 * removed; their state and run history read. Every replica of the namespace sees the same tasks (they live in
 * Redis). Bad input: `INVALID_PARAMETER` naming the field, nothing written; an unknown id: `NOT_FOUND`
 * (`getTask` answers `null`, `removeTask` `false`); Redis failures: the routing half's codes.
 */
@Injectable()
export class DistributedSchedulerService {
  constructor(
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
    private readonly store: SchedulerStore,
    private readonly registry: WorkflowRegistry,
    private readonly loop: SchedulerLoop,
    private readonly executor: RunExecutor,
  ) {}

  /** Adds a task of a registered workflow; an existing id is refused (`ALREADY_EXISTS`). */
  async addTask<P = unknown>(input: AddTaskInput<P>): Promise<ScheduledTask<P>> {
    const operation = 'addTask';
    const definition = validateNewTask(operation, input, 'api', randomUUID());
    await this.assertWorkflowKnown(operation, definition.workflow);
    const { nextRunAt, dueScore } = await this.scheduleFromNow(operation, definition);
    const { task } = await this.store.saveTask({ definition, nextRunAt, dueScore, mode: 'create' });
    return toScheduledTask<P>(task);
  }

  /**
   * Adds the task, or brings an existing one (same `id`, required) to this definition: for tasks seeded from
   * configuration at every boot. Unchanged: nothing written, its next fire and run-time state stay. Changed: saved
   * like `updateTask` (version + 1, a run claimed ahead is cancelled, a new `cron` or `timeZone` computes the next
   * fire from now). `enabled` only sets the state of a task it creates: `enableTask`/`disableTask` and the disabling
   * after failures survive a reboot. A task declared in code (`@DistributedCron`) is refused (`ALREADY_EXISTS`).
   */
  async upsertTask<P = unknown>(input: UpsertTaskInput<P>): Promise<ScheduledTask<P>> {
    const operation = 'upsertTask';
    if (typeof input === 'object' && input !== null && (input as { id?: unknown }).id === undefined) {
      throw invalidParameter(operation, 'id', 'is required: the same id at every boot finds the task again', undefined);
    }
    const definition = validateNewTask(operation, input, 'api', '');
    await this.assertWorkflowKnown(operation, definition.workflow);
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.getTask(definition.id);
      const saved =
        current === null
          ? await this.createUnlessAdded(operation, definition)
          : await this.replaceIfChanged(operation, current, definition);
      if (saved !== 'again') return toScheduledTask<P>(saved);
      if (attempt === UPDATE_ATTEMPTS) throw this.keptChanging(operation, definition.id);
    }
  }

  /** Changes a task's options; a changed `cron` or `timeZone` (or enabling it) computes the next fire from now. */
  async updateTask<P = unknown>(id: string, patch: UpdateTaskPatch<P>): Promise<ScheduledTask<P>> {
    const operation = 'updateTask';
    assertTaskName(operation, 'id', id);
    for (let attempt = 1; ; attempt++) {
      const current = await this.readTask(operation, id);
      const before = definitionOf(current);
      const next = validatePatch(operation, before, patch);
      if (next.workflow !== before.workflow) await this.assertWorkflowKnown(operation, next.workflow);
      const saved = await this.saveOver(operation, current, next);
      if (!saved.conflict) return toScheduledTask<P>(saved.task);
      if (attempt === UPDATE_ATTEMPTS) throw this.keptChanging(operation, id);
    }
  }

  /**
   * Removes a task and its history; `false` if unknown. A run in progress finishes; nothing fires after. A task
   * declared in code (`@DistributedCron`) that a live replica still declares is refused: the next restart would
   * declare it again; `disableTask` stops it for good, and once the decorator is deleted and deployed, it can go.
   */
  async removeTask(id: string): Promise<boolean> {
    const operation = 'removeTask';
    assertTaskName(operation, 'id', id);
    const task = await this.store.getTask(id);
    if (task === null) return false;
    if (task.source === 'decorator' && (await this.isWorkflowLive(task.workflow))) {
      throw new StatefulError(
        ErrorCode.INVALID_PARAMETER,
        `${operation}: task ${JSON.stringify(id)} is declared in code (@DistributedCron) by a live replica of ` +
          `namespace "${this.options.namespace}": a restart would declare it again. Stop it with disableTask(id) ` +
          '(it stays disabled across restarts), or delete the decorator, deploy, then remove it',
        { operation, field: 'id' },
      );
    }
    const removed = await this.store.removeTask(id);
    // Its metric series go now, on this replica; the others delete theirs when they hear of the removal.
    if (removed) this.executor.taskRemoved(id);
    return removed;
  }

  /** Enables a task's schedule: its next fire is computed from now (missed fires are not replayed). */
  async enableTask(id: string): Promise<ScheduledTask> {
    const operation = 'enableTask';
    assertTaskName(operation, 'id', id);
    const current = await this.readTask(operation, id);
    const { nextRunAt, dueScore } = await this.scheduleFromNow(operation, { ...definitionOf(current), enabled: true });
    return toScheduledTask(await this.store.setEnabled({ id, enabled: true, nextRunAt, dueScore }));
  }

  /** Disables a task's schedule; it stays listed, a run in progress finishes, a trigger still runs it. */
  async disableTask(id: string): Promise<ScheduledTask> {
    assertTaskName('disableTask', 'id', id);
    return toScheduledTask(await this.store.setEnabled({ id, enabled: false, nextRunAt: null, dueScore: null }));
  }

  /** One run now, outside the schedule (the overlap policy applies). */
  async triggerTask(id: string): Promise<void> {
    assertTaskName('triggerTask', 'id', id);
    await this.store.trigger(id);
    this.loop.wake();
  }

  /** The task, or `null` if unknown. */
  async getTask(id: string): Promise<ScheduledTask | null> {
    assertTaskName('getTask', 'id', id);
    const task = await this.store.getTask(id);
    return task === null ? null : toScheduledTask(task);
  }

  /** Every task of the namespace (decorated and added), by id; or only those whose schedule is enabled. */
  async listTasks(options: ListTasksOptions = {}): Promise<ScheduledTask[]> {
    const operation = 'listTasks';
    if (typeof options !== 'object' || options === null)
      throw invalidParameter(operation, 'options', 'must be an object', options);
    assertKnownOptions(options, { enabledOnly: true }, operation);
    const { enabledOnly = false } = options;
    if (typeof enabledOnly !== 'boolean')
      throw invalidParameter(operation, 'enabledOnly', 'must be a boolean', enabledOnly);
    const tasks = (await this.store.listTasks()).map((task) => toScheduledTask(task));
    return enabledOnly ? tasks.filter((task) => task.enabled) : tasks;
  }

  /** The run history, newest first, at most `limit` (default and cap: `historyLength`). */
  async getRuns(id: string, limit: number = this.options.historyLength): Promise<TaskRun[]> {
    const operation = 'getRuns';
    assertTaskName(operation, 'id', id);
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > SCHEDULER_LIMITS.maxHistoryLength
    ) {
      throw invalidParameter(
        operation,
        'limit',
        `must be an integer from 1 to ${SCHEDULER_LIMITS.maxHistoryLength}`,
        limit,
      );
    }
    return this.store.getRuns(id, Math.min(limit, this.options.historyLength));
  }

  /** Registers a workflow (the programmatic `@ScheduledWorkflow`), before or after init. */
  registerWorkflow<P = unknown>(name: string, fn: ScheduledHandler<P>): void {
    this.registry.register('registerWorkflow', name, fn);
  }

  /** This replica now: `{ instanceId, running, maxConcurrent, runningTasks, availableSlots, registeredWorkflows }`. */
  getStats(): SchedulerStats {
    return this.loop.stats();
  }

  private async readTask(operation: string, id: string): Promise<StoredTask> {
    const task = await this.store.getTask(id);
    if (task === null) {
      throw new StatefulError(
        ErrorCode.NOT_FOUND,
        `${operation}: no scheduled task with id ${JSON.stringify(id)} in namespace "${this.options.namespace}"`,
        { operation },
      );
    }
    return task;
  }

  /** The first fire after Redis's now (none for a disabled task) and its due score. */
  private async scheduleFromNow(operation: string, definition: TaskDefinition): Promise<Schedule> {
    if (!definition.enabled) return { nextRunAt: null, dueScore: null };
    const now = await this.store.now(operation);
    const nextRunAt = CronSchedule.parse(definition.cron, definition.timeZone).nextAfter(now);
    return { nextRunAt, dueScore: dueScoreOf(definition.id, nextRunAt, definition.jitterMs) };
  }

  /** A new cron or time zone, or enabling, computes the next fire once, from now; else the next fire stays. */
  private scheduleAfterUpdate(
    operation: string,
    current: StoredTask,
    next: TaskDefinition,
  ): Promise<Schedule> | Schedule {
    if (!next.enabled) return { nextRunAt: null, dueScore: null };
    if (next.cron !== current.cron || next.timeZone !== current.timeZone || !current.enabled)
      return this.scheduleFromNow(operation, next);
    return { nextRunAt: current.nextRunAt, dueScore: dueScoreOf(next.id, current.nextRunAt, next.jitterMs) };
  }

  /** Saves `next` over `current` with its next fire, unless another version was stored since (`conflict`). */
  private async saveOver(operation: string, current: StoredTask, next: TaskDefinition): Promise<SaveTaskResult> {
    const { nextRunAt, dueScore } = await this.scheduleAfterUpdate(operation, current, next);
    const expectedVersion = current.version;
    return this.store.saveTask({ definition: next, nextRunAt, dueScore, mode: 'update', expectedVersion, operation });
  }

  /** upsertTask of an absent task: created, or 'again' when another replica's boot added it meanwhile. */
  private async createUnlessAdded(operation: string, definition: TaskDefinition): Promise<StoredTask | 'again'> {
    const { nextRunAt, dueScore } = await this.scheduleFromNow(operation, definition);
    try {
      return (await this.store.saveTask({ definition, nextRunAt, dueScore, mode: 'create', operation })).task;
    } catch (error) {
      if (error instanceof StatefulError && error.code === ErrorCode.ALREADY_EXISTS) return 'again';
      throw error;
    }
  }

  /**
   * upsertTask of a stored task: kept when its definition is the same (`enabled` aside: run-time state), else saved
   * as updateTask saves it; 'again' when it was changed or removed meanwhile.
   */
  private async replaceIfChanged(
    operation: string,
    current: StoredTask,
    definition: TaskDefinition,
  ): Promise<StoredTask | 'again'> {
    if (current.source !== 'api') {
      throw new StatefulError(
        ErrorCode.ALREADY_EXISTS,
        `${operation}: the task with id ${JSON.stringify(current.id)} in namespace "${this.options.namespace}" is ` +
          'declared in code (@DistributedCron); its definition comes from the decorator',
        { operation, field: 'id' },
      );
    }
    const next: TaskDefinition = { ...definition, enabled: current.enabled };
    if (serializeDefinition(next) === serializeDefinition(definitionOf(current))) {
      // Unchanged, maybe by a call that still waits for a run's start window: this one waits as long.
      await this.store.untilStartWindowEnds(current);
      return current;
    }
    try {
      const saved = await this.saveOver(operation, current, next);
      return saved.conflict ? 'again' : saved.task;
    } catch (error) {
      if (error instanceof StatefulError && error.code === ErrorCode.NOT_FOUND) return 'again';
      throw error;
    }
  }

  private keptChanging(operation: string, id: string): StatefulError {
    return new StatefulError(
      ErrorCode.REDIS_OPERATION_ERROR,
      `${operation}: task ${JSON.stringify(id)} kept changing concurrently; try again`,
      { operation },
    );
  }

  /** A workflow registered here, or announced by a replica seen within a few polls (each look is a heartbeat). */
  private async isWorkflowLive(workflow: string): Promise<boolean> {
    if (this.registry.has(workflow)) return true;
    return (await this.store.liveWorkflows(liveReplicaMaxAgeMs(this.options))).has(workflow);
  }

  private async assertWorkflowKnown(operation: string, workflow: string): Promise<void> {
    if (!(await this.isWorkflowLive(workflow))) {
      throw invalidParameter(
        operation,
        'workflow',
        `is not registered by this process nor announced by a live replica of namespace "${this.options.namespace}"`,
        workflow,
      );
    }
  }
}
