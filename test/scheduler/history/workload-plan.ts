import type { AddTaskInput, OverlapPolicy, UpdateTaskPatch } from '../../../lib';
import type { ApiOp, CallIntent } from './history-model';
import { RandomDraws } from './random-draws';
import { STEP_KINDS, Step, TaskPayload } from './task-payload';

/*
 * The workload generator: a seeded list of API calls over time. It depends on the seed alone (never on what
 * happened in a run), so that a seed replays the same calls in the same order; calls on a task that the run
 * did not create simply fail with NOT_FOUND and are recorded as such.
 */

/** The workflows every replica registers; tasks pick one, so that more than one due index is in play. */
export const HISTORY_WORKFLOWS = ['history-a', 'history-b'] as const;

/** No task disables itself after failures: a disable the API did not make would blur what invariant 2 reads. */
const NEVER_DISABLED_BY_FAILURES = 1_000_000;

export interface PlannedOp {
  /** ms from the start of the workload. */
  atMs: number;
  taskId: string;
  op: ApiOp;
  /** Which replica (0–2) makes the call; the next live one when it is down. */
  replica: number;
  input?: AddTaskInput<TaskPayload>;
  patch?: UpdateTaskPatch<TaskPayload>;
  intent: CallIntent;
}

/** What the plan believes of a task (the calls it planned, as if every one succeeded). */
interface PlannedTask {
  id: string;
  exists: boolean;
  enabled: boolean;
  version: number;
  attempts: number;
}

const OVERLAPS: readonly OverlapPolicy[] = ['skip', 'bufferOne', 'allow'];
const ODD_KINDS = STEP_KINDS.filter((kind) => kind !== 'ok' && kind !== 'fail');
/** Live tasks the workload keeps around. */
const MIN_TASKS = 4;
const MAX_TASKS = 9;

/** The calls of a workload of `durationMs`, drawn from `random`. */
export function planWorkload(random: () => number, durationMs: number): PlannedOp[] {
  return new WorkloadPlanner(new RandomDraws(random)).plan(durationMs);
}

class WorkloadPlanner {
  private readonly tasks: PlannedTask[] = [];
  private readonly ops: PlannedOp[] = [];

  constructor(private readonly draw: RandomDraws) {}

  plan(durationMs: number): PlannedOp[] {
    for (let i = 0; i < 6; i++) this.add(i * 150);
    // About one call per 1.5 s, so that each task has quiet stretches of several fires between its calls.
    for (let at = 1_500; at < durationMs; at += this.draw.int(600, 2_400)) this.next(at);
    return this.ops;
  }

  private next(at: number): void {
    const live = this.tasks.filter((task) => task.exists);
    if (live.length < MIN_TASKS) return this.add(at);
    const kind = this.draw.weighted({
      add: live.length < MAX_TASKS ? 6 : 0,
      update: 28,
      trigger: 16,
      disable: live.some((task) => task.enabled) ? 9 : 0,
      enable: 9,
      // Rarely: a removed task's history goes with it, and the end of the run reads what is left.
      remove: live.length > MIN_TASKS ? 4 : 1,
      stale: this.tasks.length > live.length ? 3 : 0,
    });
    if (kind === 'add') return this.add(at);
    if (kind === 'stale') {
      const gone = this.draw.pick(this.tasks.filter((task) => !task.exists));
      return this.push(at, gone, this.draw.pick(['removeTask', 'triggerTask', 'enableTask'] as const), {});
    }
    if (kind === 'disable') return this.setEnabled(at, this.draw.pick(live.filter((task) => task.enabled)), false);
    // Mostly a disabled task; else an enabled one (which computes its next fire again).
    if (kind === 'enable') {
      const disabled = live.filter((task) => !task.enabled);
      return this.setEnabled(at, this.draw.pick(disabled.length > 0 && this.draw.chance(0.9) ? disabled : live), true);
    }
    const task = this.draw.pick(live);
    if (kind === 'trigger') return this.push(at, task, 'triggerTask', {});
    if (kind === 'remove') {
      task.exists = false;
      return this.push(at, task, 'removeTask', {});
    }
    this.update(at, task);
  }

  private add(at: number): void {
    const task: PlannedTask = {
      id: `t${this.tasks.length + 1}`,
      exists: true,
      enabled: this.draw.chance(0.9),
      version: 1,
      attempts: this.draw.int(1, 3),
    };
    this.tasks.push(task);
    const cron = this.cron();
    const overlap = this.draw.pick(OVERLAPS);
    const input: AddTaskInput<TaskPayload> = {
      id: task.id,
      name: `history ${task.id}`,
      cron,
      workflow: this.draw.pick(HISTORY_WORKFLOWS),
      payload: this.payload(task),
      enabled: task.enabled,
      overlap,
      misfire: this.draw.chance(0.8) ? 'runOnce' : 'skip',
      retry: { attempts: task.attempts, backoffMs: this.draw.int(100, 600) },
      maxConsecutiveFailures: NEVER_DISABLED_BY_FAILURES,
    };
    this.push(at, task, 'addTask', { version: 1, cron, overlap, enabled: task.enabled }, { input });
  }

  private setEnabled(at: number, task: PlannedTask, enabled: boolean): void {
    task.enabled = enabled;
    this.push(at, task, enabled ? 'enableTask' : 'disableTask', { enabled });
  }

  /** A patch of one to three options; a new payload carries the next version. */
  private update(at: number, task: PlannedTask): void {
    const patch: UpdateTaskPatch<TaskPayload> = {};
    const intent: CallIntent = {};
    while (Object.keys(patch).length === 0) {
      if (this.draw.chance(0.25)) {
        task.attempts = this.draw.int(1, 3);
        patch.retry = { attempts: task.attempts, backoffMs: this.draw.int(100, 600) };
      }
      if (this.draw.chance(0.5)) {
        task.version++;
        patch.payload = this.payload(task);
        intent.version = task.version;
      }
      if (this.draw.chance(0.35)) patch.cron = intent.cron = this.cron();
      if (this.draw.chance(0.3)) patch.overlap = intent.overlap = this.draw.pick(OVERLAPS);
      if (this.draw.chance(0.1)) patch.misfire = this.draw.pick(['runOnce', 'skip'] as const);
      if (this.draw.chance(0.15)) patch.enabled = intent.enabled = task.enabled = !task.enabled;
    }
    this.push(at, task, 'updateTask', intent, { patch });
  }

  private push(
    atMs: number,
    task: PlannedTask,
    op: ApiOp,
    intent: CallIntent,
    args: Pick<PlannedOp, 'input' | 'patch'> = {},
  ): void {
    this.ops.push({ atMs, taskId: task.id, op, replica: this.draw.int(0, 2), intent, ...args });
  }

  /** Every 1, 2 or 3 s (6 fields, seconds first), at a drawn offset. */
  private cron(): string {
    const every = this.draw.int(1, 3);
    const offset = this.draw.int(0, every - 1);
    if (every === 1) return '* * * * * *';
    return `${offset === 0 ? '*' : `${offset}-59`}/${every} * * * * *`;
  }

  private payload(task: PlannedTask): TaskPayload {
    return { v: task.version, steps: Array.from({ length: task.attempts }, () => this.step()) };
  }

  /** Mostly quick successes; failures, odd throws, and now and then a run longer than the lease. */
  private step(): Step {
    const kind = this.draw.weighted({ ok: 55, fail: 20, odd: 25 });
    const ms = this.draw.weighted({ short: 70, medium: 20, long: 10 });
    return {
      kind: kind === 'odd' ? this.draw.pick(ODD_KINDS) : kind,
      ms:
        ms === 'short'
          ? this.draw.int(0, 300)
          : ms === 'medium'
            ? this.draw.int(300, 1_200)
            : this.draw.int(1_600, 3_000),
    };
  }
}
