import { Inject, Injectable } from '@nestjs/common';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import type { DashboardView, ViewBlock } from './dashboard-view.interface';
import {
  cronCell,
  enabledCell,
  failuresCell,
  lastStatusCell,
  taskActions,
  taskHref,
  taskMomentCell,
} from './task-cells';

export const SCHEDULER_REFRESH_MS = 2_000;

/** A notice for the scheduler pages of an app without `DistributedScheduleModule`. */
export const NO_SCHEDULER: ViewBlock = {
  kind: 'notice',
  id: 'no-scheduler',
  tone: 'muted',
  text: 'This application has no scheduler: import DistributedScheduleModule to see its tasks here.',
};

/** Scheduler: this replica, and every task of the namespace with its schedule and last outcome. */
@Injectable()
export class SchedulerView {
  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
  ) {}

  async build(now = Date.now()): Promise<DashboardView> {
    const scheduler = this.sources.scheduler;
    const view: DashboardView = {
      heading: 'Scheduler',
      subheading: 'Tasks of the namespace, shared by every replica',
      refreshMs: SCHEDULER_REFRESH_MS,
      blocks: [],
    };
    if (scheduler === null) {
      view.blocks.push(NO_SCHEDULER);
      return view;
    }
    const stats = scheduler.getStats();
    const tasks = await scheduler.listTasks();
    view.blocks.push(
      {
        kind: 'facts',
        id: 'replica',
        title: 'This replica',
        facts: [
          { label: 'Instance', value: { text: stats.instanceId, mono: true } },
          {
            label: 'Loop',
            value: stats.running
              ? { text: 'running', tone: 'ok', badge: true }
              : { text: 'stopped', tone: 'bad', badge: true },
          },
          { label: 'Runs here', value: { text: `${stats.runningTasks} of ${stats.maxConcurrent}` } },
          {
            label: 'Workflows',
            value: { text: stats.registeredWorkflows.join(', ') || 'none', mono: stats.registeredWorkflows.length > 0 },
          },
        ],
      },
      {
        kind: 'table',
        id: 'tasks',
        title: 'Tasks',
        columns: [
          { title: 'Task' },
          { title: 'Schedule' },
          { title: 'State' },
          { title: 'Next run' },
          { title: 'Last run' },
          { title: 'Last status' },
          { title: 'Failures', numeric: true },
          { title: 'Runs', numeric: true },
        ],
        empty: 'No task yet: declare one with @DistributedCron or add one with addTask.',
        rows: tasks.map((task) => ({
          cells: [
            { text: task.name, href: taskHref(task.id), sub: task.id === task.name ? undefined : task.id },
            cronCell(task, true),
            enabledCell(task),
            taskMomentCell(task.nextRunAt, task.timeZone, now, task.enabled ? 'none' : '—'),
            taskMomentCell(task.lastRunAt, task.timeZone, now, 'never'),
            lastStatusCell(task),
            failuresCell(task),
            { text: String(task.runCount) },
          ],
          actions: this.options.readOnly ? undefined : taskActions(task),
        })),
      },
    );
    return view;
  }
}
