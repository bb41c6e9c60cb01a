import { Inject, Injectable } from '@nestjs/common';
import type { ScheduledTask, TaskRun } from '../../scheduler/interfaces/scheduled-task.interface';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import { RunDetailsRedactor } from '../redaction/run-details-redactor';
import type { DashboardView, ViewBlock, ViewCell, ViewRow } from './dashboard-view.interface';
import { NO_SCHEDULER, SCHEDULER_REFRESH_MS } from './scheduler.view';
import {
  cronCell,
  enabledCell,
  failuresCell,
  lastStatusCell,
  statusTone,
  taskActions,
  taskMomentCell,
} from './task-cells';
import { formatDuration, formatInZone, formatUtc } from './view-format';

/** The task page's query. */
export interface TaskQuery {
  id?: string;
}

/** One task: its definition and state, the fire lag of its runs as a chart, and its run history as a timeline. */
@Injectable()
export class TaskView {
  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
    private readonly redactor: RunDetailsRedactor,
  ) {}

  async build(query: TaskQuery, now = Date.now()): Promise<DashboardView> {
    const view: DashboardView = { heading: 'Task', refreshMs: SCHEDULER_REFRESH_MS, blocks: [] };
    const scheduler = this.sources.scheduler;
    if (scheduler === null) {
      view.blocks.push(NO_SCHEDULER);
      return view;
    }
    const task = query.id === undefined || query.id === '' ? null : await scheduler.getTask(query.id);
    if (task === null) {
      view.blocks.push({ kind: 'notice', id: 'no-task', tone: 'warn', text: 'No task with this id in the namespace.' });
      return view;
    }
    const runs = await scheduler.getRuns(task.id);
    view.heading = task.name;
    view.subheading = `Task ${task.id} · workflow ${task.workflow}`;
    view.blocks.push(this.facts(task, now), lagChart(runs), timeline(task, runs, this.redactor));
    return view;
  }

  private facts(task: ScheduledTask, now: number): ViewBlock {
    const retry = task.retry;
    return {
      kind: 'facts',
      id: 'task',
      title: 'Definition and state',
      actions: this.options.readOnly ? undefined : taskActions(task),
      facts: [
        { label: 'Id', value: { text: task.id, mono: true } },
        { label: 'Workflow', value: { text: task.workflow, mono: true } },
        { label: 'Declared by', value: { text: task.source === 'decorator' ? '@DistributedCron' : 'addTask' } },
        { label: 'Schedule', value: cronCell(task) },
        { label: 'Time zone', value: { text: task.timeZone } },
        { label: 'State', value: enabledCell(task) },
        { label: 'Next run', value: taskMomentCell(task.nextRunAt, task.timeZone, now, 'none', true) },
        { label: 'Last run', value: taskMomentCell(task.lastRunAt, task.timeZone, now, 'never', true) },
        { label: 'Last status', value: lastStatusCell(task) },
        { label: 'Failures in a row', value: failuresCell(task) },
        { label: 'Runs', value: { text: String(task.runCount) } },
        {
          label: 'Policies',
          value: {
            text:
              `overlap ${task.overlap} · misfire ${task.misfire} (grace ${formatDuration(task.misfireGraceMs)}) · ` +
              `${retry.attempts} attempt${retry.attempts === 1 ? '' : 's'}, ` +
              `backoff ${formatDuration(retry.backoffMs)}` +
              (task.jitterMs > 0 ? ` · jitter ${formatDuration(task.jitterMs)}` : '') +
              (task.leaseMs !== null ? ` · lease ${formatDuration(task.leaseMs)}` : ''),
          },
        },
        { label: 'Payload', value: this.redactor.payload(task.payload), wide: true },
      ],
    };
  }
}

/**
 * Fire lag (start − scheduled time) of the fires that started, oldest first: first attempts only, since a
 * retry keeps its fire's scheduled time and starts a backoff later by design.
 */
function lagChart(runs: TaskRun[]): ViewBlock {
  const started = runs.filter((run) => run.attempt === 1 && run.startedAt !== null).reverse();
  return {
    kind: 'lag-chart',
    id: 'lag',
    title: 'Fire lag',
    note: 'Start minus scheduled time of each fire’s first attempt (retries left out), oldest first',
    points: started.map((run) => {
      const lagMs = fireLag(run) as number;
      return {
        lagMs,
        tone: statusTone(run.status),
        title: `${formatUtc(run.scheduledAt.getTime())} · ${run.status} · lag ${formatDuration(lagMs)}`,
      };
    }),
  };
}

/** How late a first attempt started; `null` for one that never started, and for a retry (its backoff is no lag). */
function fireLag(run: TaskRun): number | null {
  if (run.startedAt === null || run.attempt !== 1) return null;
  return Math.max(0, run.startedAt.getTime() - run.scheduledAt.getTime());
}

/** The run history, newest first: one row per attempt, and per fire recorded skipped or missed. */
function timeline(task: ScheduledTask, runs: TaskRun[], redactor: RunDetailsRedactor): ViewBlock {
  const longest = Math.max(1, ...runs.map((run) => run.durationMs ?? 0));
  return {
    kind: 'table',
    id: 'runs',
    title: 'Runs',
    note: `Newest first, ${runs.length} in the history; fire times in ${task.timeZone}`,
    columns: [
      { title: 'Fire time' },
      { title: 'Status' },
      { title: 'Attempt', numeric: true },
      { title: 'Replica' },
      { title: 'Lag', numeric: true },
      { title: 'Duration' },
      { title: 'Error' },
    ],
    empty: 'No run yet.',
    rows: runs.map((run): ViewRow => ({
      cells: [
        {
          text: formatInZone(run.scheduledAt.getTime(), task.timeZone),
          title: formatUtc(run.scheduledAt.getTime()),
          mono: true,
        },
        { text: run.status, tone: statusTone(run.status), badge: true },
        { text: String(run.attempt) },
        run.instanceId === null ? { text: '—', tone: 'muted' } : { text: run.instanceId, mono: true },
        lagCell(run),
        durationCell(run, longest),
        run.error === null ? { text: '' } : redactor.error(run.error, run.errorStack),
      ],
    })),
  };
}

function lagCell(run: TaskRun): ViewCell {
  const lagMs = fireLag(run);
  if (lagMs !== null) return { text: formatDuration(lagMs) };
  if (run.startedAt === null) return { text: '—', tone: 'muted' };
  const sinceFire = formatDuration(run.startedAt.getTime() - run.scheduledAt.getTime());
  return { text: 'retry', tone: 'muted', title: `Started ${sinceFire} after the fire time, after its backoff` };
}

function durationCell(run: TaskRun, longest: number): ViewCell {
  if (run.durationMs === null) return { text: run.status === 'running' ? 'running' : '—', tone: 'muted' };
  return { text: formatDuration(run.durationMs), bar: run.durationMs / longest };
}
